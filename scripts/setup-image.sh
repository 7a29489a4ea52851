#!/usr/bin/env bash
# setup-image.sh: the sandbox image every driver runs: a Debian 12 root
# filesystem built from Debian's own packages with python3 and
# python3-numpy, so that a workload is a real interpreter importing a real
# native library, not a static probe in an empty root; and
# qemu-guest-agent, the QEMU guest's own exec path (guest-exec), which the
# probe starts when it boots a VM on the image.
#
#   $cache/image/<key>/rootfs.tar     uncompressed tar of the tree: for
#                                     `docker import` and for unpacking into
#                                     an OCI bundle's rootfs
#   $cache/image/<key>/rootfs/        the same tree unpacked (read-only use:
#                                     a sandbox mounts its writable work dir
#                                     at /work and the probe at /sandbox-probe)
#   $cache/image/<key>/manifest.json  key, packages, suite, arch, installed
#                                     versions, sizes, build date, tar sha256
#   $cache/image/current -> <key>
#
# <key> is the first 16 hex digits of the sha256 of the package list, the
# suite, the architecture, the variant and FORMAT below. The image is rebuilt
# only when the key changes; bump FORMAT whenever this script changes what
# lands in the tree. The mirror is the host's own (its configured apt
# sources for the suite, main component only): nothing else is contacted.
#
# Built with mmdebstrap (variant minbase, no recommends, merged /usr with
# usr-is-merged rather than usrmerge and its perl; installed with apt
# when missing), or debootstrap when mmdebstrap cannot be installed. A build
# happens in $cache/image/.build.* and is renamed into place only once the
# tree, the tar and a chroot check (python3 imports numpy) are done, so a
# reader never sees half an image; a build that was killed leaves only its
# .build.* directory, which the next run removes. Runs are serialized by a
# lock. Idempotent: a cached image is checked and relinked, not rebuilt.
#
# Environment:
#   AGENTIC_EVAL_CACHE  cache root (default /var/cache/agentic-eval)
set -euo pipefail

FORMAT=2
suite=bookworm
variant=minbase
packages=(python3 python3-numpy qemu-guest-agent)
cache="${AGENTIC_EVAL_CACHE:-/var/cache/agentic-eval}"
images="$cache/image"

start=$(date +%s%3N)
say() { echo "setup-image: $*"; }
die() {
	say "$*" >&2
	exit 1
}
elapsed() { local ms=$(($(date +%s%3N) - start)); printf '%d.%03ds' $((ms / 1000)) $((ms % 1000)); }

((EUID == 0)) || die "must run as root (builds a chroot, installs mmdebstrap): sudo bash scripts/setup-image.sh"

arch=$(dpkg --print-architecture)
mapfile -t sorted < <(printf '%s\n' "${packages[@]}" | LC_ALL=C sort -u)
pkglist=$(IFS=,; echo "${sorted[*]}")
key=$(printf 'format=%s\nsuite=%s\narch=%s\nvariant=%s\npackages=%s\n' \
	"$FORMAT" "$suite" "$arch" "$variant" "$pkglist" | sha256sum | cut -c1-16)
dir="$images/$key"

mkdir -p "$images"
exec 8>"$images/.lock"
flock 8

# remove_tree DIR: unmount whatever a killed build left mounted under DIR
# (mmdebstrap mounts /proc, /sys and /dev pieces into the chroot), deepest
# first, then remove DIR without ever crossing into another filesystem, so
# that a leftover bind mount of the host's /dev is never emptied.
remove_tree() {
	local d="$1" m
	[[ -e "$d" || -L "$d" ]] || return 0
	if [[ -d "$d" && ! -L "$d" ]]; then
		d=$(realpath "$d")
		while read -r m; do
			umount -l "$m" 2>/dev/null || true
		done < <(awk -v d="$d" '{ m = $5; gsub(/\\040/, " ", m); if (index(m, d "/") == 1) print m }' /proc/self/mountinfo | sort -r)
	fi
	rm -rf --one-file-system "$d"
}

# A build killed mid-way leaves its .build.* directory; nothing else reads
# those, and under the lock no other build is running.
for stale in "$images"/.build.* "$images"/.current.*; do
	[[ -e "$stale" || -L "$stale" ]] || continue
	say "removing leftover $stale"
	remove_tree "$stale"
done

# link_current: point $images/current at $key with one rename, so a reader
# sees the old link or the new one, never none.
link_current() {
	if [[ "$(readlink "$images/current" 2>/dev/null || true)" == "$key" ]]; then
		say "$images/current already points at $key"
		return
	fi
	ln -s "$key" "$images/.current.$$"
	mv -T "$images/.current.$$" "$images/current"
	say "linked $images/current -> $key"
}

# verify ROOT: python3 in ROOT imports numpy; prints numpy's version.
verify() {
	local root="$1" v
	v=$(chroot "$root" /usr/bin/python3 -c 'import numpy; print(numpy.__version__)') ||
		{ say "chroot $root: python3 cannot import numpy" >&2; return 1; }
	[[ "$v" =~ ^[0-9]+\.[0-9]+ ]] || { say "chroot $root: numpy printed no version: '$v'" >&2; return 1; }
	echo "$v"
}

# cached_ok: the image for $key is complete (the manifest is written last,
# inside the build directory, so its presence means the rename happened)
# and its tar still has the size the manifest records.
cached_ok() {
	[[ -f "$dir/manifest.json" && -f "$dir/rootfs.tar" && -x "$dir/rootfs/usr/bin/python3" ]] || return 1
	local want
	want=$(sed -n 's/^ *"tar_bytes": *\([0-9][0-9]*\),*$/\1/p' "$dir/manifest.json")
	[[ -n "$want" && "$want" == "$(stat -c %s "$dir/rootfs.tar")" ]]
}

if [[ -e "$dir" ]]; then
	if cached_ok && v=$(verify "$dir/rootfs"); then
		say "image $key (${pkglist}, $suite/$arch) already built at $dir: numpy $v; skipping the build"
		link_current
		say "done in $(elapsed)"
		exit 0
	fi
	say "cached $dir is incomplete or broken: rebuilding it"
	remove_tree "$dir"
fi

# sources: the host's apt entries for $suite, $suite-updates and
# $suite-security, main component only, as one-line entries. Read from
# /etc/apt/sources.list, /etc/apt/sources.list.d/*.list (one-line style)
# and /etc/apt/sources.list.d/*.sources (deb822), whichever this host has;
# other suites and third-party repositories are left out.
sources() {
	local f files=()
	[[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
	for f in /etc/apt/sources.list.d/*.list; do [[ -f "$f" ]] && files+=("$f"); done
	((${#files[@]} == 0)) || awk -v suite="$suite" '
		function wanted(s) { return s == suite || s == suite "-updates" || s == suite "-security" }
		{ sub(/#.*/, "") }
		$1 == "deb" {
			opts = ""; i = 2
			if ($2 ~ /^\[/) {
				while (i <= NF) { opts = opts (opts == "" ? "" : " ") $i; if ($i ~ /\]$/) { i++; break }; i++ }
			}
			uri = $i; s = $(i + 1); main = 0
			for (j = i + 2; j <= NF; j++) if ($j == "main") main = 1
			if (wanted(s) && main) print "deb " (opts == "" ? "" : opts " ") uri " " s " main"
		}' "${files[@]}"
	files=()
	for f in /etc/apt/sources.list.d/*.sources; do [[ -f "$f" ]] && files+=("$f"); done
	((${#files[@]} == 0)) || awk -v suite="$suite" '
		function wanted(s) { return s == suite || s == suite "-updates" || s == suite "-security" }
		function flush(   n, u, s, c, i, j, k, main, opt) {
			if (types ~ /(^| )deb( |$)/ && enabled != "no") {
				main = 0; k = split(comps, c, " "); for (i = 1; i <= k; i++) if (c[i] == "main") main = 1
				opt = (signedby ~ /^\// ? "[signed-by=" signedby "] " : "")
				n = split(uris, u, " "); k = split(suites, s, " ")
				if (main) for (i = 1; i <= n; i++) for (j = 1; j <= k; j++)
					if (wanted(s[j])) print "deb " opt u[i] " " s[j] " main"
			}
			types = uris = suites = comps = signedby = enabled = ""; field = ""
		}
		FNR == 1 && NR > 1 { flush() }
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		/^[ \t]/ { next } # continuation line (an inline key): not a path
		{
			field = tolower($0); sub(/:.*/, "", field)
			val = $0; sub(/^[^:]*:[ \t]*/, "", val); gsub(/[ \t]+/, " ", val); sub(/ $/, "", val)
			if (field == "types") types = val
			else if (field == "uris") uris = val
			else if (field == "suites") suites = val
			else if (field == "components") comps = val
			else if (field == "signed-by") signedby = val
			else if (field == "enabled") enabled = tolower(val)
		}
		END { flush() }' "${files[@]}"
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

# builder: mmdebstrap when installed or installable, else debootstrap.
builder() {
	local b
	for b in mmdebstrap debootstrap; do
		installed "$b" && { echo "$b"; return; }
		say "installing $b" >&2
		if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$b" >&2 ||
			{ apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$b" >&2; }; then
			echo "$b"
			return
		fi
		say "$b is not installable" >&2
	done
	return 1
}

# json_str S: S as a JSON string.
json_str() {
	local s="$1"
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\t'/\\t}
	printf '"%s"' "$s"
}

mapfile -t src < <(sources | awk '!seen[$0]++')
((${#src[@]} > 0)) || die "no apt source for $suite (main) in /etc/apt/sources.list or /etc/apt/sources.list.d/: configure Debian's mirror first"
tool=$(builder) || die "neither mmdebstrap nor debootstrap is installable from the configured mirrors"

tmp=$(mktemp -d "$images/.build.XXXXXX")
trap 'remove_tree "$tmp"' EXIT
chmod 0755 "$tmp"
printf '%s\n' "${src[@]}" >"$tmp/sources.list"
root="$tmp/rootfs"
say "building image $key: $tool --variant=$variant $suite/$arch with ${pkglist} from:"
printf '  %s\n' "${src[@]}"

# Paths dpkg never writes into the tree: docs (except licences), man pages,
# message catalogues (except glibc's locale.alias).
excludes=(
	'path-exclude=/usr/share/doc/*'
	'path-include=/usr/share/doc/*/copyright'
	'path-exclude=/usr/share/man/*'
	'path-exclude=/usr/share/info/*'
	'path-exclude=/usr/share/locale/*'
	'path-include=/usr/share/locale/locale.alias'
	'path-exclude=/usr/share/lintian/*'
)
# The host's freshness settings (a snapshot mirror has an old Release date).
eval "$(apt-config shell valid Acquire::Check-Valid-Until checkdate Acquire::Check-Date)"

case "$tool" in
mmdebstrap)
	args=(--mode=root --variant="$variant" --architectures="$arch" --components=main
		--include="$pkglist" --aptopt='APT::Install-Recommends "false"'
		--aptopt='Acquire::Languages "none"')
	# Merge /usr up front and satisfy init-system-helpers with the empty
	# usr-is-merged: otherwise apt picks usrmerge, which pulls in all of perl
	# (some 55 MB) to convert a tree that is already merged.
	if [[ -d /usr/share/mmdebstrap/hooks/merged-usr ]]; then
		args+=(--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr)
	fi
	[[ "${valid:-}" == false ]] && args+=(--aptopt='Acquire::Check-Valid-Until "false"')
	[[ "${checkdate:-}" == false ]] && args+=(--aptopt='Acquire::Check-Date "false"')
	for x in "${excludes[@]}"; do args+=(--dpkgopt="$x"); done
	mmdebstrap "${args[@]}" "$suite" "$root" "$tmp/sources.list"
	;;
debootstrap)
	# debootstrap takes one mirror: the first entry for $suite itself.
	mirror=$(printf '%s\n' "${src[@]}" | awk -v s="$suite" '{ for (i = 2; i < NF; i++) if ($(i + 1) == s && $i !~ /^\[|\]$|=/) { print $i; exit } }')
	[[ -n "$mirror" ]] || die "no apt source for $suite itself: debootstrap needs one"
	mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
	printf '%s\n' "${excludes[@]}" >"$root/etc/dpkg/dpkg.cfg.d/99agentic-eval"
	debootstrap --variant="$variant" --arch="$arch" --components=main --include="$pkglist" "$suite" "$root" "$mirror"
	cp "$tmp/sources.list" "$root/etc/apt/sources.list"
	;;
esac

# Trim: what dpkg wrote before the excludes applied, and apt's leftovers.
say "trimming the tree"
find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete 2>/dev/null || true
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/lintian
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/archives/partial/* "$root"/var/cache/apt/*.bin \
	"$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old \
	"$root"/var/log/apt/* "$root"/var/log/dpkg.log "$root"/var/log/alternatives.log "$root"/var/log/bootstrap.log
rm -f "$root/etc/apt/apt.conf.d/99mmdebstrap" # build-time apt options: not the image's business

# What a sandbox mounts over: the probe (bind-mounted file) and the
# writable work dir; /tmp as every program expects it.
: >"$root/sandbox-probe"
chmod 0755 "$root/sandbox-probe"
mkdir -p "$root/work" "$root/tmp"
chmod 0755 "$root/work"
chmod 1777 "$root/tmp"

say "checking: chroot $root python3 -c 'import numpy'"
numpy=$(verify "$root")

declare -A version
for p in "${sorted[@]}"; do
	version[$p]=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' "$p" 2>/dev/null) || true
	[[ -n "${version[$p]}" ]] || die "$p is not installed in the tree"
done
count=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${db:Status-Status}\n' | grep -c '^installed$')

say "writing rootfs.tar"
tar --sort=name --numeric-owner --one-file-system -C "$root" -cf "$tmp/rootfs.tar" .
tar_bytes=$(stat -c %s "$tmp/rootfs.tar")
tar_sha=$(sha256sum "$tmp/rootfs.tar" | cut -d' ' -f1)
tree_bytes=$(du -sb "$root" | cut -f1)
tree_disk=$(du -sB1 "$root" | cut -f1)

{
	printf '{\n'
	printf '  "format": %d,\n' "$FORMAT"
	printf '  "key": "%s",\n' "$key"
	printf '  "suite": "%s",\n' "$suite"
	printf '  "arch": "%s",\n' "$arch"
	printf '  "variant": "%s",\n' "$variant"
	printf '  "builder": "%s",\n' "$tool $(dpkg-query -W -f='${Version}' "$tool")"
	printf '  "packages": ['
	sep=""
	for p in "${sorted[@]}"; do printf '%s%s' "$sep" "$(json_str "$p")"; sep=", "; done
	printf '],\n'
	printf '  "versions": {'
	sep=""
	for p in "${sorted[@]}"; do printf '%s%s: %s' "$sep" "$(json_str "$p")" "$(json_str "${version[$p]}")"; sep=", "; done
	printf '},\n'
	printf '  "numpy_version": %s,\n' "$(json_str "$numpy")"
	printf '  "installed_packages": %d,\n' "$count"
	printf '  "sources": ['
	sep=""
	for s in "${src[@]}"; do printf '%s%s' "$sep" "$(json_str "$s")"; sep=", "; done
	printf '],\n'
	printf '  "tar": "rootfs.tar",\n'
	printf '  "tar_bytes": %d,\n' "$tar_bytes"
	printf '  "tar_sha256": "%s",\n' "$tar_sha"
	printf '  "rootfs": "rootfs",\n'
	printf '  "rootfs_bytes": %d,\n' "$tree_bytes"
	printf '  "rootfs_disk_bytes": %d,\n' "$tree_disk"
	printf '  "built": "%s"\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	printf '}\n'
} >"$tmp/manifest.json"
rm -f "$tmp/sources.list"

mv -T "$tmp" "$dir"
trap - EXIT
say "built $dir: python3 ${version[python3]}, python3-numpy ${version[python3-numpy]} (numpy $numpy), $count packages"
say "sizes: rootfs.tar $tar_bytes bytes ($((tar_bytes / 1048576)) MiB), tree $tree_bytes bytes ($((tree_bytes / 1048576)) MiB)"
link_current
say "done in $(elapsed)"
