// Package gvisor drives gVisor's runsc as an OCI runtime, one variant per
// platform: "gvisor/systrap" and "gvisor/ptrace".
//
// Its opinions: runsc is driven exactly as a user would drive it, through
// its command line on an OCI bundle written by package oci (the same bundle
// the runc driver uses, so differences are the runtimes'), with the network
// off (--network=none) and a private state root (/run/agentic-eval/runsc).
// Only a static runsc is accepted: a dynamically linked one re-executes
// itself inside an empty root where its loader does not exist and can start
// no sandbox, so the fingerprint refuses it rather than letting every Start
// fail. The probe talks over pipes that this process creates, never over
// regular files, and a checkpoint image restores into new pipes, as many
// times as asked (fork). Destroy leaves nothing: no runsc container, no
// host process, no cgroup, and, once the root holds no sandbox, not the
// null network namespace bind mount runsc pins under its root.
package gvisor
