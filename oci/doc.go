// Package oci writes OCI runtime bundles (a rootfs directory and its
// config.json) whose only program is the probe, for every OCI runtime the
// project drives (runc, runsc).
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
// JSON, the same for runc and runsc, so one parser, tested on both
// runtimes' recorded output, serves both drivers.
package oci
