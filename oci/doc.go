// Package oci writes OCI runtime bundles (a rootfs directory and its
// config.json) whose only program is the probe, and drives the OCI runtimes
// that run them (runc, crun, runsc) through one client, Runtime.
//
// Its opinion: a bundle is the smallest thing that is still honest. The
// rootfs holds the static probe and the mount points, nothing else, so that
// a runtime's start-latency is the runtime's and not an image's; the spec is
// runc's own default (`runc spec`: its three capabilities, no new
// privileges, masked and read-only /proc paths, devices denied) with a new,
// empty network namespace, so a sandbox has no network at all. One writer
// serves every runtime, so that differences in figures are the runtimes',
// not the bundles'.
//
// It also reads what those runtimes say of their containers (State,
// ParseState, ParseList): `state` and `list` print the runtime-spec's state
// JSON, the same for runc, crun and runsc, so one parser, tested on their
// recorded output, serves every driver.
//
// Runtime is the client, in the shape of containerd's go-runc: a binary, a
// state root and global flags; run and restore detached with the probe's
// pipes, state, list, kill, delete, exec, checkpoint. Its one error type,
// Error, carries the runtime's own message (runc's JSON log lines or the
// others' text), whether the command timed out, and the exec error beneath;
// IsNotExist recognises every runtime's "no such container". No call waits
// on a runtime without a deadline.
package oci
