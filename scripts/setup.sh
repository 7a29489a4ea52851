#!/usr/bin/env bash
# setup.sh: everything agentic-eval's drivers and tests need on this host.
# Run as root on Debian 12 (only package registries need to be reachable):
#
#   bash scripts/setup.sh
#
# Steps, each printed on one line with its duration:
#   1. Debian packages the drivers use, installed only when missing, and
#      optional ones for tests that skip without them (chromium, for the
#      report's layout test), whose failure to install does not fail setup;
#   2. the project's directories (state roots, cache, logs);
#   3. the project's private dockerd (scripts/start-dockerd.sh), started
#      when it does not answer;
#   4. two lanes side by side, each step timed: the builds, which keep the
#      cores busy (scripts/setup-gvisor.sh, then the binaries of
#      scripts/setup-kubernetes.sh: a real single-node Kubernetes built from
#      Go modules, cached; about 16 minutes the first time on 2 cores), and
#      the downloads, which mostly wait on the network and the disk
#      (scripts/setup-qemu.sh, then scripts/setup-image.sh: the Debian 12
#      sandbox image); Kubernetes is skipped with
#      AGENTIC_EVAL_SKIP_KUBERNETES=1 (its tests then skip and say why);
#   5. the Kubernetes images, made from the sandbox image;
#   6. the static probe, built into /var/cache/agentic-eval/bin.
#
# Idempotent and safe to re-run: installed packages, a running dockerd and
# cached builds are kept. Runs are serialized by a lock.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(runc crun docker.io qemu-system-x86 busybox-static criu iproute2 procps ca-certificates
	# the sandbox image's builder (scripts/setup-image.sh)
	mmdebstrap
	# the Kubernetes node (scripts/setup-kubernetes.sh): installed here, so
	# that no two lanes below wait on dpkg's lock
	containernetworking-plugins openssl curl iptables conntrack socat)
# Optional: headless Chromium lays the HTML report out in report/layout_test.go
# (about 290 MB); without it that test skips and says why.
optional_packages=(chromium)
cache="${AGENTIC_EVAL_CACHE:-/var/cache/agentic-eval}"

now_ms() { date +%s%3N; }
# step NAME CMD...: run CMD and print one line with its outcome and duration.
step() {
	local name="$1" t0 rc=0
	shift
	t0=$(now_ms)
	"$@" || rc=$?
	local ms=$(($(now_ms) - t0))
	if ((rc != 0)); then
		printf 'setup: %-28s FAILED (exit %d) after %d.%03ds\n' "$name" "$rc" $((ms / 1000)) $((ms % 1000)) >&2
		exit "$rc"
	fi
	printf 'setup: %-28s ok in %d.%03ds\n' "$name" $((ms / 1000)) $((ms % 1000))
}

if ((EUID != 0)); then
	echo "setup: must run as root (runc, dockerd and apt-get need it): sudo bash scripts/setup.sh" >&2
	exit 1
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

install_packages() {
	local missing=() optional=() p
	for p in "${packages[@]}"; do
		installed "$p" || missing+=("$p")
	done
	for p in "${optional_packages[@]}"; do
		installed "$p" || optional+=("$p")
	done
	if ((${#missing[@]} + ${#optional[@]} == 0)); then
		echo "setup: packages already installed: ${packages[*]} ${optional_packages[*]}"
		return 0
	fi
	local all=("${missing[@]}" "${optional[@]}")
	echo "setup: installing ${all[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# docker.io's postinst would start the system's dockerd, which rewrites
	# the host firewall (iptables on by default): forbid service starts
	# during the install (Debian's policy-rc.d), unless the host has its own
	# policy already.
	local policy=/usr/sbin/policy-rc.d ours=0
	if [[ ! -e "$policy" ]]; then
		printf '#!/bin/sh\n# agentic-eval setup: no service starts during install\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		ours=1
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	local rc=0
	if ((${#missing[@]} > 0)); then
		apt-get install -y -qq --no-install-recommends "${missing[@]}" || rc=$?
	fi
	if ((rc == 0 && ${#optional[@]} > 0)); then
		apt-get install -y -qq --no-install-recommends "${optional[@]}" ||
			echo "setup: optional packages not installed: ${optional[*]} (the tests that need them skip)" >&2
	fi
	if ((ours)); then
		rm -f "$policy"
		trap - EXIT
	fi
	return "$rc"
}

make_dirs() {
	mkdir -p /run/agentic-eval/runc /run/agentic-eval/runsc "$cache/bin" /var/log/agentic-eval /var/lib/agentic-eval
	chmod 0711 /run/agentic-eval/runc /run/agentic-eval/runsc
}

run_if_present() {
	local script="$1"
	shift
	if [[ -f "$script" ]]; then
		bash "$script" "$@"
	else
		echo "setup: $script not present: skipped"
	fi
}

# The two lanes of step 4. Each runs in a subshell; a failed step ends its
# lane, and setup fails once both have ended.
builds_lane() {
	step "gvisor" run_if_present scripts/setup-gvisor.sh
	step "kubernetes binaries" run_if_present scripts/setup-kubernetes.sh binaries
}
downloads_lane() {
	step "qemu" run_if_present scripts/setup-qemu.sh
	step "image" run_if_present scripts/setup-image.sh
}

build_probe() {
	if [[ ! -d cmd/sandbox-probe ]]; then
		echo "setup: cmd/sandbox-probe not present: probe not built"
		return 0
	fi
	if ! command -v go >/dev/null; then
		echo "setup: go not found on PATH: install the Go toolchain go.mod names" >&2
		return 1
	fi
	local tmp="$cache/bin/.sandbox-probe.$$"
	# Build beside the target and rename, so that a reader never sees half a binary.
	CGO_ENABLED=0 go build -o "$tmp" ./cmd/sandbox-probe || {
		rm -f "$tmp"
		return 1
	}
	mv -f "$tmp" "$cache/bin/sandbox-probe"
	echo "setup: probe at $cache/bin/sandbox-probe"
}

mkdir -p /run/agentic-eval
exec 9>/run/agentic-eval/setup.lock
flock 9

total=$(now_ms)
step "packages" install_packages
step "directories" make_dirs
# 9>&-: the daemon must not inherit (and so hold forever) the lock.
step "dockerd" bash scripts/start-dockerd.sh 9>&-
lanes=$(now_ms)
builds_lane &
builds=$!
downloads_lane &
downloads=$!
rc=0
wait "$builds" || rc=$?
wait "$downloads" || rc=$((rc ? rc : $?))
if ((rc != 0)); then
	echo "setup: a lane failed (exit $rc): see its FAILED line above" >&2
	exit "$rc"
fi
ms=$(($(now_ms) - lanes))
printf 'setup: %-28s ok in %d.%03ds\n' "both lanes" $((ms / 1000)) $((ms % 1000))
step "kubernetes images" run_if_present scripts/setup-kubernetes.sh images
step "probe" build_probe
ms=$(($(now_ms) - total))
printf 'setup: %-28s ok in %d.%03ds\n' "all" $((ms / 1000)) $((ms % 1000))
