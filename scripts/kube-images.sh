#!/usr/bin/env bash
# kube-images.sh: the pause image of the project's own cluster, as an OCI
# image-layout tar at $cache/kubernetes/images/pause.tar, which
# scripts/kube-up.sh imports into containerd as
# localhost/agentic-eval/pause:3.10 (the CRI's sandbox image). The layer
# holds one static binary built from cmd/pause; no registry is reached.
# Rebuilt when cmd/pause changes (the tar records the source's hash).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

cache="${AGENTIC_EVAL_CACHE:-/var/cache/agentic-eval}"
out="$cache/kubernetes/images"
ref=localhost/agentic-eval/pause:3.10
mkdir -p "$out"
src_hash=$(cat cmd/pause/*.go go.mod | sha256sum | cut -c1-16)
if [[ -f "$out/pause.tar" && "$(cat "$out/pause.source" 2>/dev/null)" == "$src_hash" ]]; then
	echo "kube-images: $out/pause.tar is current"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root" "$tmp/oci/blobs/sha256"
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$tmp/root/pause" ./cmd/pause
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$tmp/root" -cf "$tmp/layer.tar" pause
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
layer=$(sha "$tmp/layer.tar")
cp "$tmp/layer.tar" "$tmp/oci/blobs/sha256/$layer"
printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$layer" >"$tmp/config.json"
config=$(sha "$tmp/config.json")
cp "$tmp/config.json" "$tmp/oci/blobs/sha256/$config"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}' \
	"$config" "$(size "$tmp/config.json")" "$layer" "$(size "$tmp/layer.tar")" >"$tmp/manifest.json"
manifest=$(sha "$tmp/manifest.json")
cp "$tmp/manifest.json" "$tmp/oci/blobs/sha256/$manifest"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
	"$manifest" "$(size "$tmp/manifest.json")" "$ref" "$ref" >"$tmp/oci/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$tmp/oci/oci-layout"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$tmp/oci" -cf "$tmp/pause.tar" oci-layout index.json blobs
mv -f "$tmp/pause.tar" "$out/pause.tar"
echo "$src_hash" >"$out/pause.source"
echo "kube-images: wrote $out/pause.tar ($ref)"
