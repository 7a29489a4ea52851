#!/usr/bin/env bash
# setup-kubernetes.sh: the binaries and images a real single-node Kubernetes
# needs on this host, built from the Go module proxy and Debian's packages,
# and cached per pinned version like runsc. It starts nothing: the cluster is
# brought up by scripts/kube-up.sh and removed by scripts/kube-down.sh (the
# k8s tests call both, under a lock).
#
#   1. Debian packages: containernetworking-plugins (bridge, host-local,
#      loopback), openssl (the cluster's certificates), iptables and
#      conntrack (the bridge plugin's masquerade rules stay off; the
#      kubelet looks for them), socat (port-forward);
#   2. Kubernetes $k8s_version: kube-apiserver, kube-controller-manager,
#      kube-scheduler and kubelet, built through a scratch module that
#      requires k8s.io/kubernetes and pins every k8s.io staging module to the
#      matching v0.x with replace directives (`go install ...@version`
#      refuses a module with replace directives of its own);
#   3. etcd $etcd_version the same way (Debian's etcd 3.4 lacks the
#      watch-progress requests the API server needs);
#   4. containerd $containerd_version, ctr and containerd-shim-runc-v2 from
#      containerd's Go module (Debian's 1.6 cannot host gVisor's shim);
#   5. gVisor's containerd shim (containerd-shim-runsc-v1) from the same
#      pseudo-version as runsc;
#   6. two images as OCI tarballs for `ctr images import`: a pause image
#      (a static pause built from cmd/pause) and the probe image (the
#      sandbox image's tree with the probe as its entrypoint), both local:
#      no registry is reached.
#
# Everything lands under $cache/kubernetes; bin/ there holds links to the
# pinned builds. Idempotent: a cached build is kept.
#
#   bash scripts/setup-kubernetes.sh [all|binaries|images]
#
# binaries is steps 1 to 5, images step 6 (it needs the sandbox image of
# scripts/setup-image.sh); setup.sh builds the binaries beside the image and
# the images after it.
#
# Environment:
#   AGENTIC_EVAL_CACHE            cache root (default /var/cache/agentic-eval)
#   AGENTIC_EVAL_K8S_VERSION      override the Kubernetes version (v1.34.x)
#   AGENTIC_EVAL_SKIP_KUBERNETES  set to 1 to skip this step
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

k8s_version="${AGENTIC_EVAL_K8S_VERSION:-v1.34.4}"
staging_version="v0.${k8s_version#v1.}"
etcd_version="v3.6.16"
containerd_version="v2.4.2"
gvisor_version="${AGENTIC_EVAL_GVISOR_VERSION:-v0.0.0-20260905035102-160fafc42237}"
cache="${AGENTIC_EVAL_CACHE:-/var/cache/agentic-eval}"
root="$cache/kubernetes"
bindir="$root/bin"

say() { echo "setup-kubernetes: $*"; }
now_ms() { date +%s%3N; }
start=$(now_ms)

if [[ "${AGENTIC_EVAL_SKIP_KUBERNETES:-}" == 1 ]]; then
	say "AGENTIC_EVAL_SKIP_KUBERNETES=1: skipped (the k8s tests skip and say why)"
	exit 0
fi
if ((EUID != 0)); then
	say "must run as root (installs packages, writes $root)" >&2
	exit 1
fi
command -v go >/dev/null || { say "go not found on PATH" >&2; exit 1; }

packages=(containernetworking-plugins openssl curl iptables conntrack socat)
install_packages() {
	local missing=() p
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" || {
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
	}
}

# scratch DIR MODULE VERSION [REPLACES...]: a module in DIR that requires
# MODULE@VERSION, with each REPLACES entry ("path version") pinned by a
# replace directive.
scratch() {
	local dir="$1" mod="$2" ver="$3"
	shift 3
	mkdir -p "$dir"
	{
		echo "module agentic-eval.local/build"
		echo
		echo "go 1.26"
		echo
		echo "require $mod $ver"
		local r
		for r in "$@"; do
			echo "replace ${r% *} => ${r% *} ${r#* }"
		done
	} >"$dir/go.mod"
	printf 'package build\n\nimport _ "%s"\n' "$mod" >"$dir/tools.go"
}

# build_into OUT DIR LDFLAGS PKG...: go build each PKG of the scratch module
# in DIR into OUT/<last element>, through a temporary directory renamed into
# place, so that a reader never sees half a binary.
build_into() {
	local out="$1" dir="$2" ldflags="-s -w $3"
	shift 3
	local tmp
	tmp="$(mktemp -d "$out/.build.XXXXXX")"
	(cd "$dir" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true)
	(cd "$dir" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags="$ldflags" -o "$tmp/" "$@") || {
		rm -rf "$tmp"
		return 1
	}
	mv -f "$tmp"/* "$out/"
	rm -rf "$tmp"
}

have_all() { # have_all DIR NAME...
	local d="$1" n
	shift
	for n in "$@"; do [[ -x "$d/$n" ]] || return 1; done
}

build_kubernetes() {
	local out="$root/kubernetes-$k8s_version" names=(kube-apiserver kube-controller-manager kube-scheduler kubelet)
	mkdir -p "$out"
	if have_all "$out" "${names[@]}" && "$out/kubelet" --version 2>/dev/null | grep -qF "$k8s_version"; then
		say "kubernetes $k8s_version cached in $out"
		return 0
	fi
	local mod="$root/src/kubernetes-$k8s_version" staging
	# k8s.io/kubernetes's own go.mod names its staging modules; it is read
	# through the go command, so GOPROXY and its fallbacks apply.
	local gomod
	gomod=$(cd / && GOFLAGS= go mod download -json "k8s.io/kubernetes@$k8s_version" | sed -n 's/^\s*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
	[[ -f "$gomod" ]] || { say "go mod download k8s.io/kubernetes@$k8s_version gave no go.mod" >&2; return 1; }
	staging=$(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod")
	[[ -n "$staging" ]] || { say "no staging modules read from k8s.io/kubernetes@$k8s_version's go.mod" >&2; return 1; }
	local reps=() s
	for s in $staging; do reps+=("$s $staging_version"); done
	scratch "$mod" k8s.io/kubernetes "$k8s_version" "${reps[@]}"
	printf 'package build\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n\t_ "k8s.io/kubernetes/cmd/kubelet/app"\n)\n' >"$mod/tools.go"
	say "building kubernetes $k8s_version (${names[*]}) into $out: several minutes on 2 cores"
	# The version the binaries report (kubelet --version, the API's
	# /version, the node's kubeletVersion): without it they say
	# v0.0.0-master.
	local minor="${k8s_version#v1.}"
	minor="${minor%%.*}"
	local v=k8s.io/component-base/version
	build_into "$out" "$mod" "-X $v.gitVersion=$k8s_version -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean" \
		k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
		k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet
}

build_etcd() {
	local out="$root/etcd-$etcd_version"
	mkdir -p "$out"
	if have_all "$out" etcd; then
		say "etcd $etcd_version cached in $out"
		return 0
	fi
	local mod="$root/src/etcd-$etcd_version"
	scratch "$mod" go.etcd.io/etcd/server/v3 "$etcd_version" \
		"go.etcd.io/etcd/api/v3 $etcd_version" "go.etcd.io/etcd/client/pkg/v3 $etcd_version" \
		"go.etcd.io/etcd/client/v3 $etcd_version" "go.etcd.io/etcd/pkg/v3 $etcd_version"
	printf 'package build\n\nimport _ "go.etcd.io/etcd/server/v3/etcdmain"\n' >"$mod/tools.go"
	say "building etcd $etcd_version into $out"
	build_into "$out" "$mod" "" go.etcd.io/etcd/server/v3
	mv -f "$out/v3" "$out/etcd" 2>/dev/null || mv -f "$out/server" "$out/etcd"
}

build_containerd() {
	local out="$root/containerd-$containerd_version" names=(containerd ctr containerd-shim-runc-v2)
	mkdir -p "$out"
	if have_all "$out" "${names[@]}"; then
		say "containerd $containerd_version cached in $out"
		return 0
	fi
	local mod="$root/src/containerd-$containerd_version"
	scratch "$mod" github.com/containerd/containerd/v2 "$containerd_version"
	printf 'package build\n\nimport _ "github.com/containerd/containerd/v2/cmd/containerd/command"\n' >"$mod/tools.go"
	say "building containerd $containerd_version (${names[*]}) into $out"
	(cd "$mod" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true)
	local tmp
	tmp="$(mktemp -d "$out/.build.XXXXXX")"
	(cd "$mod" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -tags 'no_btrfs no_devmapper no_zfs no_aufs' \
		-ldflags="-s -w -X github.com/containerd/containerd/v2/version.Version=$containerd_version" -o "$tmp/" \
		github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/ctr \
		github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2) || {
		rm -rf "$tmp"
		return 1
	}
	mv -f "$tmp"/* "$out/"
	rm -rf "$tmp"
}

build_runsc_shim() {
	local out="$root/gvisor-shim-$gvisor_version"
	mkdir -p "$out"
	if have_all "$out" containerd-shim-runsc-v1; then
		say "gVisor shim $gvisor_version cached in $out"
		return 0
	fi
	local tmp
	tmp="$(mktemp -d "$out/.build.XXXXXX")"
	say "building gvisor.dev/gvisor/shim@$gvisor_version into $out"
	CGO_ENABLED=0 GOFLAGS= GOBIN="$tmp" go install "gvisor.dev/gvisor/shim@$gvisor_version" || {
		rm -rf "$tmp"
		return 1
	}
	mv -f "$tmp/shim" "$out/containerd-shim-runsc-v1"
	rm -rf "$tmp"
}

link_all() {
	mkdir -p "$bindir"
	local f
	for f in "$root/kubernetes-$k8s_version"/* "$root/etcd-$etcd_version"/etcd "$root/containerd-$containerd_version"/* \
		"$root/gvisor-shim-$gvisor_version"/containerd-shim-runsc-v1; do
		[[ -x "$f" ]] && ln -sfn "$f" "$bindir/$(basename "$f")"
	done
	printf 'kubernetes=%s\netcd=%s\ncontainerd=%s\ngvisor-shim=%s\n' "$k8s_version" "$etcd_version" \
		"$containerd_version" "$gvisor_version" >"$root/versions"
}

images() {
	bash scripts/kube-images.sh
}

run() { # run NAME CMD...: one line per step with its duration
	local name="$1" t0 rc=0
	shift
	t0=$(now_ms)
	"$@" || rc=$?
	local ms=$(($(now_ms) - t0))
	if ((rc != 0)); then
		say "$name FAILED (exit $rc) after $((ms / 1000))s" >&2
		exit "$rc"
	fi
	say "$name ok in $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s"
}

mode="${1:-all}"
case "$mode" in
all | binaries | images) ;;
*)
	say "unknown mode \"$mode\": valid modes are all, binaries and images" >&2
	exit 2
	;;
esac
mkdir -p "$root"
if [[ "$mode" != images ]]; then
	run packages install_packages
	run kubernetes build_kubernetes
	run etcd build_etcd
	run containerd build_containerd
	run gvisor-shim build_runsc_shim
	run links link_all
fi
if [[ "$mode" != binaries && -f scripts/kube-images.sh ]]; then
	run images images
fi
say "$mode done in $((($(now_ms) - start) / 1000))s"
