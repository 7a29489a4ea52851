package vms

// Availability says whether a system can be had: a public release anyone
// may download and run, and where that was found. It is curated data, like
// the scores: a fact about the world when the catalog was written, with
// its source, not something this package checks.
type Availability struct {
	// Obtainable is whether a public release exists.
	Obtainable bool `json:"obtainable"`
	// Release names the public release (or says there is none).
	Release string `json:"release"`
	// Source is where that was found.
	Source string `json:"source"`
}

// AvailabilityOf returns whether s can be had, with the source.
func AvailabilityOf(s System) Availability {
	if !s.Valid() {
		return Availability{Release: "not a system", Source: "none"}
	}
	return availability[s]
}

var availability = [...]Availability{
	AetherVM: {
		Obtainable: false,
		Release:    "no public release: no downloadable binary, package or source, and no documented interface to drive",
		Source:     "drivers/unavailable (AetherVM's fingerprint reason): no binary, package, source or documented control interface is published",
	},
	Firecracker: {
		Obtainable: true,
		Release:    "Apache-2.0 release binaries (firecracker, jailer) for x86_64 and aarch64 Linux",
		Source:     "https://github.com/firecracker-microvm/firecracker/releases",
	},
	CloudHypervisor: {
		Obtainable: true,
		Release:    "Apache-2.0/BSD release binaries for x86_64 and aarch64 Linux",
		Source:     "https://github.com/cloud-hypervisor/cloud-hypervisor/releases",
	},
	GVisor: {
		Obtainable: true,
		Release:    "Apache-2.0 runsc release builds, and its Go module (built here from gvisor.dev/gvisor)",
		Source:     "https://gvisor.dev/docs/user_guide/install/; /work/shared/notes/host-runtimes.md (runsc built from its module on this machine)",
	},
	Kata: {
		Obtainable: true,
		Release:    "Apache-2.0 release tarballs of Kata Containers (runtime, shim and guest assets)",
		Source:     "https://github.com/kata-containers/kata-containers/releases",
	},
	QEMUKVM: {
		Obtainable: true,
		Release:    "GPL-2.0 source releases and distribution packages (Debian 12: qemu-system-x86 7.2)",
		Source:     "https://www.qemu.org/download/; /work/shared/notes/host-runtimes.md (installed from Debian here)",
	},
	Docker: {
		Obtainable: true,
		Release:    "Apache-2.0 Docker Engine (Moby) with runc, and distribution packages (Debian 12: docker.io 20.10, runc 1.1.5, crun 1.8.1)",
		Source:     "https://docs.docker.com/engine/install/; /work/shared/notes/host-runtimes.md (installed from Debian here)",
	},
}

// NeedsKVM reports whether s runs its sandboxes behind hardware
// virtualization through KVM, so that a host without a KVM that boots
// ordinary guests cannot run it (curated, like Availability). QEMU is
// among them: under TCG software emulation it runs without KVM, but that
// is not the system the catalog scores.
func NeedsKVM(s System) bool {
	switch s {
	case AetherVM, Firecracker, CloudHypervisor, Kata, QEMUKVM:
		return true
	}
	return false
}
