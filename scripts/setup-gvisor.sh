#!/usr/bin/env bash
# setup-gvisor.sh: build gVisor's runsc from its Go module at a pinned
# pseudo-version, statically (CGO_ENABLED=0), cache it per version, and
# install it as /var/cache/agentic-eval/bin/runsc.
#
# Why static: runsc re-executes itself inside an empty root to become the
# sandbox; a dynamically linked runsc finds no loader there and no sandbox
# ever starts. Why a pseudo-version: the module proxy refuses branch names
# (runsc@go), so the version must be exact.
#
# Idempotent: when the pinned version's binary is cached and static, the
# build is skipped and only the install link is (re)made.
#
# Environment:
#   AGENTIC_EVAL_GVISOR_VERSION  override the pinned version (exact pseudo-version)
#   AGENTIC_EVAL_CACHE           cache root (default /var/cache/agentic-eval)
set -euo pipefail

version="${AGENTIC_EVAL_GVISOR_VERSION:-v0.0.0-20260905035102-160fafc42237}"
cache="${AGENTIC_EVAL_CACHE:-/var/cache/agentic-eval}"
dir="$cache/gvisor/$version"
bin="$dir/runsc"
link="$cache/bin/runsc"

start=$(date +%s)
say() { echo "setup-gvisor: $*"; }
done_msg() { say "done in $(( $(date +%s) - start ))s"; }

# is_static FILE: true when FILE is an ELF without a program interpreter.
is_static() {
	local f="$1"
	[ -x "$f" ] || return 1
	if command -v readelf >/dev/null 2>&1; then
		! readelf -l "$f" 2>/dev/null | grep -q 'Requesting program interpreter'
	elif command -v file >/dev/null 2>&1; then
		file -L "$f" | grep -q 'statically linked'
	else
		# go version -m reports CGO_ENABLED for Go binaries.
		go version -m "$f" 2>/dev/null | grep -q 'CGO_ENABLED=0'
	fi
}

if is_static "$bin"; then
	say "runsc $version already built at $bin: skipping the build"
else
	if [ -e "$bin" ]; then
		say "cached $bin is not a static binary (a dynamic runsc cannot start sandboxes): rebuilding"
		rm -f "$bin"
	fi
	command -v go >/dev/null 2>&1 || { say "go not found on PATH: install Go to build runsc" >&2; exit 1; }
	mkdir -p "$dir"
	say "building gvisor.dev/gvisor/runsc@$version with CGO_ENABLED=0 into $dir (several minutes)"
	# GOFLAGS is cleared so that a caller's -mod=... or similar cannot leak
	# into a module-mode install; GOBIN points the install at the cache.
	tmp="$(mktemp -d "$dir/.build.XXXXXX")"
	trap 'rm -rf "$tmp"' EXIT
	CGO_ENABLED=0 GOFLAGS= GOBIN="$tmp" go install "gvisor.dev/gvisor/runsc@$version"
	is_static "$tmp/runsc" || { say "built runsc is not static: refusing to install it" >&2; exit 1; }
	mv -f "$tmp/runsc" "$bin"
	say "built $bin ($(du -h "$bin" | cut -f1)) in $(( $(date +%s) - start ))s"
fi

mkdir -p "$cache/bin"
if [ "$(readlink "$link" 2>/dev/null || true)" != "$bin" ]; then
	say "installing $link -> $bin"
	ln -sfn "$bin" "$link"
else
	say "$link already points at $bin"
fi
mkdir -p /run/agentic-eval/runsc
say "runsc: $("$link" --version 2>&1 | head -1) (module version $version)"
done_msg
