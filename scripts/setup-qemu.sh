#!/usr/bin/env bash
# setup-qemu.sh: what the QEMU driver (drivers/qemu) needs on this host.
#
#   1. qemu-system-x86_64 (Debian's qemu-system-x86), installed when missing;
#   2. a guest kernel: the vmlinuz of Debian's newest cloud kernel package
#      (linux-image-*-cloud-amd64), fetched with `apt-get download` into a
#      temporary directory and unpacked with `dpkg-deb -x`. It is NEVER
#      installed as the host's kernel. It lands at
#      /var/cache/agentic-eval/qemu/vmlinuz, with the package name and version
#      in /var/cache/agentic-eval/qemu/vmlinuz.version;
#   3. the two modules of that package a guest on the sandbox image needs
#      (the cloud kernel builds them as modules): virtio_mmio (microvm's
#      virtio transport, which also brings up the built-in virtio-serial)
#      and virtio_blk (the image's read-only disk), kept xz-compressed as
#      the package ships them (the kernel decompresses them itself) in
#      /var/cache/agentic-eval/qemu/modules/, with the same package name and
#      version in modules/version, so that they are replaced with the kernel.
#      The driver puts them in the initramfs.
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

# MODULES are the guest modules kept, by their path under the package's
# /lib/modules/<release>/kernel/.
MODULES=(drivers/virtio/virtio_mmio.ko.xz drivers/block/virtio_blk.ko.xz)
MODDIR="$CACHE/modules"

cached_kernel() {
	local want="$1" m
	[ -s "$VMLINUZ" ] && [ -f "$VERSION_FILE" ] && [ "$(cat "$VERSION_FILE")" = "$want" ] || return 1
	[ -f "$MODDIR/version" ] && [ "$(cat "$MODDIR/version")" = "$want" ] || return 1
	for m in "${MODULES[@]}"; do [ -s "$MODDIR/$(basename "$m")" ] || return 1; done
}

fetch_kernel() {
	local want="$KPKG $KVER"
	if cached_kernel "$want"; then
		log "cached: $VMLINUZ and $MODDIR ($want)"
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
	local release m f
	release=$(basename "$src")
	release=${release#vmlinuz-}
	for m in "${MODULES[@]}"; do
		f="$tmp/root/lib/modules/$release/kernel/$m"
		[ -s "$f" ] || {
			log "no $m for $release in $KPKG"
			exit 1
		}
	done
	mkdir -p "$CACHE"
	install -m 0644 "$src" "$VMLINUZ.tmp"
	mv -f "$VMLINUZ.tmp" "$VMLINUZ"
	printf '%s\n' "$want" >"$VERSION_FILE.tmp"
	mv -f "$VERSION_FILE.tmp" "$VERSION_FILE"
	# The modules go in one directory renamed into place: a reader sees the
	# old set or the new one, and a version file that names its kernel.
	rm -rf "$MODDIR.tmp"
	mkdir -p "$MODDIR.tmp"
	for m in "${MODULES[@]}"; do
		install -m 0644 "$tmp/root/lib/modules/$release/kernel/$m" "$MODDIR.tmp/$(basename "$m")"
	done
	printf '%s\n' "$want" >"$MODDIR.tmp/version"
	rm -rf "$MODDIR.old"
	[ -e "$MODDIR" ] && mv -T "$MODDIR" "$MODDIR.old"
	mv -T "$MODDIR.tmp" "$MODDIR"
	rm -rf "$MODDIR.old"
	rm -rf "$tmp"
	trap - EXIT
	log "placed $VMLINUZ from $(basename "$src") ($(stat -c %s "$VMLINUZ") bytes) and $MODDIR ($(ls "$MODDIR" | tr '\n' ' '))"
}

T0=$(now_ms)
step "qemu-system-x86" install_qemu
step "choose guest kernel" choose_kernel
step "guest kernel" fetch_kernel
log "all done in $(($(now_ms) - T0))ms: kernel $VMLINUZ ($(cat "$VERSION_FILE"))"
