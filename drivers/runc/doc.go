// Package runc drives Debian's runc directly on an OCI bundle: the
// "docker/runc" variant of the docker row, because the reference maps runc
// to Docker and runc is what the Engine runs underneath.
//
// Its opinion: this is the floor of container start-up on a host. No daemon,
// no image store, no network set-up: one `runc run --detach` on a bundle
// that holds only the probe, whose stdio is a pair of pipes the harness
// already reads, so the figure is runc's and the kernel's. It pays for that
// with the weakest boundary the project measures (a shared kernel, runc's
// default spec without a seccomp filter) and a CLI as its only control
// plane. Everything a sandbox makes carries its ID (state under
// /run/agentic-eval/runc, cgroups under /agentic-eval/<id>), so that Destroy
// and the sweeper find it even when runc was killed half-way.
//
// Snapshots go through CRIU (runc checkpoint, runc restore): they are
// attempted whenever criu is installed, and where CRIU fails on the host,
// that failure, with CRIU's own first error from its log, is the measured
// result; the failed checkpoint leaves the container running or gone,
// never half-way. Exec is `runc exec` of the probe in the running
// container, and kills what it started when its context ends.
package runc
