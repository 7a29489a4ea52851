#!/usr/bin/env bash
# setup-qemu.sh: what the QEMU driver (drivers/qemu) needs on this host.
#
#   1. qemu-system-x86_64 (Debian's qemu-system-x86), installed when missing;
#   2. a guest kernel: the vmlinuz of Debian's newest cloud kernel package
#      (linux-image-*-cloud-amd64), fetched with `apt-get download` into a
#      temporary directory and unpacked with `dpkg-deb -x`. It is NEVER
#      installed as the host's kernel. It lands at
#      /var/cache/agentic-eval/qemu/vmlinuz, with the package name and version
#      in /var/cache/agentic-eval/qemu/vmlinuz.version.
#
# Idempotent and cached: a second run with the same newest package does no
# download. Environment:
#   AGENTIC_EVAL_QEMU_CACHE      cache directory (default /var/cache/agentic-eval/qemu)
#   AGENTIC_EVAL_KERNEL_PACKAGE  take this package instead of the newest one
set -euo pipefail

CACHE="${AGENTIC_EVAL_QEMU_CACHE:-/var/cache/agentic-eval/qemu}"
VMLINUZ="$CACHE/vmlinuz"
VERSION_FILE="$CACHE/vmlinuz.version"

log() { printf 'setup-qemu: %s\n' "$*" >&2; }
now_ms() { date +%s%3N; }
step() { # step NAME CMD...: run CMD, print how long it took
	local name="$1" t0 t1
	shift
	log "$name ..."
	t0=$(now_ms)
	"$@"
	t1=$(now_ms)
	log "$name: done in $(((t1 - t0)))ms"
}

if [ "$(id -u)" -ne 0 ]; then
	log "must run as root (installs packages, writes $CACHE)"
	exit 1
fi

install_qemu() {
	if command -v qemu-system-x86_64 >/dev/null 2>&1; then
		log "qemu-system-x86_64 present: $(qemu-system-x86_64 --version | head -n1)"
		return
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-system-x86
	log "installed: $(qemu-system-x86_64 --version | head -n1)"
}

# candidates prints "VERSION PACKAGE" for every real kernel image package of
# Debian's cloud flavour the archive offers: versioned names only
# (linux-image-6.1.0-56-cloud-amd64, linux-image-6.12.117+deb12-cloud-amd64),
# not metapackages (linux-image-6.12-cloud-amd64), -dbg or -unsigned ones.
candidates() {
	local pkgs
	pkgs=$(apt-cache search --names-only '^linux-image-[0-9]+[.][0-9]+[.-][0-9].*-cloud-amd64$' | awk '{print $1}')
	[ -n "$pkgs" ] || return 0
	# shellcheck disable=SC2086
	apt-cache show --no-all-versions $pkgs 2>/dev/null |
		awk '/^Package:/ {p=$2} /^Version:/ {print $2, p}'
}

# newest_package prints the package with the highest version.
newest_package() {
	local best_ver="" best_pkg="" ver pkg
	while read -r ver pkg; do
		if [ -z "$best_ver" ] || dpkg --compare-versions "$ver" gt "$best_ver"; then
			best_ver="$ver"
			best_pkg="$pkg"
		fi
	done < <(candidates)
	[ -n "$best_pkg" ] || return 1
	printf '%s %s\n' "$best_pkg" "$best_ver"
}

choose_kernel() {
	if [ -n "${AGENTIC_EVAL_KERNEL_PACKAGE:-}" ]; then
		KPKG="$AGENTIC_EVAL_KERNEL_PACKAGE"
		KVER=$(apt-cache show --no-all-versions "$KPKG" | awk '/^Version:/ {print $2; exit}')
	else
		local found
		if ! found=$(newest_package); then
			log "no linux-image-*-cloud-amd64 in the package lists; running apt-get update"
			apt-get update
			found=$(newest_package) || {
				log "no linux-image-*-cloud-amd64 package in the archive"
				exit 1
			}
		fi
		read -r KPKG KVER <<<"$found"
	fi
	log "guest kernel package: $KPKG $KVER"
}

fetch_kernel() {
	local want="$KPKG $KVER"
	if [ -s "$VMLINUZ" ] && [ -f "$VERSION_FILE" ] && [ "$(cat "$VERSION_FILE")" = "$want" ]; then
		log "cached: $VMLINUZ ($want)"
		return
	fi
	local tmp
	tmp=$(mktemp -d)
	chmod 0755 "$tmp"
	chown _apt "$tmp" 2>/dev/null || true # apt-get download drops privileges to _apt
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	(cd "$tmp" && apt-get download "$KPKG=$KVER")
	dpkg-deb -x "$tmp"/*.deb "$tmp/root"
	local src
	src=$(find "$tmp/root/boot" -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | head -n1 || true)
	[ -n "$src" ] || {
		log "no /boot/vmlinuz-* in $KPKG"
		exit 1
	}
	mkdir -p "$CACHE"
	install -m 0644 "$src" "$VMLINUZ.tmp"
	mv -f "$VMLINUZ.tmp" "$VMLINUZ"
	printf '%s\n' "$want" >"$VERSION_FILE.tmp"
	mv -f "$VERSION_FILE.tmp" "$VERSION_FILE"
	rm -rf "$tmp"
	trap - EXIT
	log "placed $VMLINUZ from $(basename "$src") ($(stat -c %s "$VMLINUZ") bytes)"
}

T0=$(now_ms)
step "qemu-system-x86" install_qemu
step "choose guest kernel" choose_kernel
step "guest kernel" fetch_kernel
log "all done in $(($(now_ms) - T0))ms: kernel $VMLINUZ ($(cat "$VERSION_FILE"))"
