// Package ociruntime is the one driver for every OCI runtime the project
// drives (runc, crun, runsc): the bundle, the probe's pipes, the detached
// launch, state, exec, checkpoint and restore, the kill by process scan,
// the cgroups, the leftovers and the sweep, written once.
//
// Its opinion: OCI runtimes differ less than their drivers used to. A
// runtime's folder is a Config (its binary, root, global flags, boundary,
// control plane, how it checkpoints) plus its real quirks as small hooks
// (gVisor's platform check and null network namespace, crun's private mount
// namespace on hybrid cgroup hosts). Everything else is here, so that a new
// runtime is one small folder and every runtime gets the same fixes.
//
// Every object a sandbox makes is named by its ID: its bundle directory,
// its container, its cgroup (/agentic-eval/<id> in every hierarchy), its
// files under the runtime's root. Destroy and Sweep find them by that name
// and never by a mere string prefix of another ID.
package ociruntime
