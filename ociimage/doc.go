// Package ociimage writes container images as OCI image-layout archives
// (the tar that `ctr images import` and `docker load` read), from layers
// the caller already has as tar files or as bytes, so that the project's
// images reach a node's containerd without a registry.
//
// Its opinions: an image is built from what setup already vouched for (the
// sandbox image's tar, the probe binary, the project's own binaries) and
// never fetched; layers are stored uncompressed, so that a layer's digest
// is its diff ID and a 170 MB tree is streamed once, not gzipped; the
// archive is written beside its final path and renamed into place, so a
// reader never sees half of one; and the reference an image is imported
// under is stated inside the archive (the index's annotations), never left
// to the importer's guess.
package ociimage
