#!/bin/sh
# Records the probe's real output under each runtime into this directory.
# Run as root from the module root: sh probe/testdata/capture.sh
# Needs runc, unshare, python3; gVisor and QEMU captures run when present.
set -eu
td=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/ae-probe-capture-XXXXXX)
docker="/usr/bin/docker -H ${DOCKER_HOST:-unix:///run/agentic-eval/dockerd.sock}"
image=ae-probecapture-$$
cleanup() {
	[ -n "${lpid:-}" ] && kill "$lpid" 2>/dev/null || true
	$docker rm -f ae-probecapture-$$ >/dev/null 2>&1 || true
	$docker rmi "$image" >/dev/null 2>&1 || true
	umount "$work/runsc-root/null-netns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/sandbox-probe" ./cmd/sandbox-probe

# A listener on the host's loopback, for the host_loopback fact.
python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 47611)); s.listen(16)
while True: s.accept()[0].close()' &
lpid=$!
sleep 0.3
reqs='ping\ntoken set 00112233445566778899aabbccddeeff\ntoken get\nfacts 127.0.0.1:47611\nbogus\nexit\n'

printf '{"boot_id":"%s","kernel_release":"%s"}\n' "$(cat /proc/sys/kernel/random/boot_id)" "$(uname -r)" >"$td/host-identity.json"
printf "$reqs" | "$work/sandbox-probe" >"$td/host.txt"
printf "$reqs" | unshare --user --map-root-user --pid --fork --mount --mount-proc --net "$work/sandbox-probe" >"$td/unshare-userns.txt"
printf "$reqs" | unshare --pid --fork --mount --mount-proc --net "$work/sandbox-probe" >"$td/unshare-root.txt"

mkdir -p "$work/bundle/rootfs/proc" "$work/bundle/rootfs/dev" "$work/bundle/rootfs/sys" "$work/bundle/rootfs/tmp"
cp "$work/sandbox-probe" "$work/bundle/rootfs/"
(cd "$work/bundle" && runc spec && python3 -c '
import json
c = json.load(open("config.json"))
c["process"]["args"] = ["/sandbox-probe"]; c["process"]["terminal"] = False
json.dump(c, open("config.json", "w"))')
printf "$reqs" | timeout 30 runc --root "$work/runc-root" run -b "$work/bundle" ae-probecapture-runc >"$td/runc.txt"

if $docker version >/dev/null 2>&1; then
	tar -C "$work/bundle/rootfs" -cf "$work/rootfs.tar" .
	$docker import "$work/rootfs.tar" "$image" >/dev/null
	printf "$reqs" | timeout 60 $docker run --rm -i --network=none --name ae-probecapture-$$ \
		--label agentic-eval.run=probecapture "$image" /sandbox-probe >"$td/docker.txt"
fi

runsc=${AGENTIC_EVAL_RUNSC:-$(command -v runsc || echo /var/cache/agentic-eval/bin/runsc)}
if [ -x "$runsc" ]; then
	printf "$reqs" | timeout 60 "$runsc" --root "$work/runsc-root" --platform=systrap --network=none run -bundle "$work/bundle" ae-probecapture-gvisor >"$td/gvisor.txt"
fi

kernel=${AGENTIC_EVAL_KERNEL:-/var/cache/agentic-eval/qemu/vmlinuz}
if [ -r "$kernel" ] && command -v qemu-system-x86_64 >/dev/null; then
	mkdir -p "$work/initrd/dev"
	cp "$work/sandbox-probe" "$work/initrd/init"
	mknod "$work/initrd/dev/console" c 5 1
	(cd "$work/initrd" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/initrd.gz"
	timeout 120 python3 "$td/capture-qemu.py" tcg "$td/qemu-tcg.txt" "$work/initrd.gz"
fi
