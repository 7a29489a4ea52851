// Package unavailable holds the drivers for systems this project cannot
// measure on a host like its own: Firecracker, Cloud Hypervisor, Kata
// Containers and AetherVM. Each is a real fingerprint, not a stub: it looks
// for what the system needs (its binary on PATH, a usable /dev/kvm, a public
// release) and says precisely which is missing and what would fix it. None
// of them can start a sandbox, and none pretends to: their rows stay
// curated, with the reason shown beside them.
package unavailable
