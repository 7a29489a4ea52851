// Package probebin finds or builds the sandbox probe: the static binary
// (cmd/sandbox-probe) that every sandbox runs as its entry point.
//
// Its opinion: the probe a measurement uses is exactly the one its sources
// say, built static (CGO_ENABLED=0: it must run in an empty rootfs and in
// a VM's initramfs) and cached by a key of its sources, go.mod and the Go
// version, so that a changed probe is never served stale; a prebuilt one
// named by $AGENTIC_EVAL_PROBE is checked (an executable ELF with the
// features the harness needs) before it is trusted.
package probebin
