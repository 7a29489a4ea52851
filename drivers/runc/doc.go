// Package runc is the "docker/runc" variant of the docker row: Debian's
// runc driven directly on an OCI bundle, because the reference maps runc
// to Docker and runc is what the Engine runs underneath.
//
// Its opinion: this is the floor of container start-up on a host. No
// daemon, no image store, no network set-up: one `runc run --detach` on a
// bundle that holds only the probe, whose stdio is a pair of pipes the
// harness already reads, so the figure is runc's and the kernel's. It pays
// for that with the weakest boundary the project measures (a shared
// kernel, runc's default spec without a seccomp filter) and a CLI as its
// only control plane.
//
// The folder is configuration: package ociruntime does the driving. runc's
// only particulars are its JSON error log (--log-format json, which
// oci.Message reads) and its checkpoints through CRIU, attempted whenever
// asked: where CRIU fails on the host, that failure, with CRIU's own first
// error from its log, is the measured result.
package runc
