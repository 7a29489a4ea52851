package vms

// The shared vocabulary of measurement: isolation boundary classes,
// lifecycle operations and finding severities. They are named string types,
// so that a JSON document keeps the plain strings it always had, while code
// that confuses a boundary with an operation no longer compiles.

// Boundary is an isolation class: what stands between code in a sandbox
// and the host's kernel.
type Boundary string

// Boundary classes, weakest first.
const (
	// BoundarySharedKernel: the sandbox's processes run on the host's
	// kernel (namespaces, cgroups, seccomp): runc, crun, Docker.
	BoundarySharedKernel Boundary = "shared-kernel"
	// BoundarySoftwareEmulation: a guest kernel on a CPU emulated in
	// software by an ordinary host process (QEMU under TCG, where no usable
	// KVM exists). The guest's system calls reach its own kernel, not the
	// host's, so it is stronger than a shared kernel; but the emulator is
	// the boundary, and it is weaker than a userspace kernel built to be
	// one: QEMU's security policy does not treat TCG as a security
	// boundary (its bugs are not handled as vulnerabilities), the emulator
	// and its device model are a large C program, and it runs as a plain
	// host process, unconfined by default, where gVisor's Sentry is a
	// purpose-built boundary in a memory-safe language under a seccomp
	// filter. It is not hardware virtualization, whatever the same VMM
	// would be under KVM.
	BoundarySoftwareEmulation Boundary = "software-emulation"
	// BoundaryUserspaceKernel: a kernel in user space answers the
	// sandbox's system calls (gVisor's Sentry).
	BoundaryUserspaceKernel Boundary = "userspace-kernel"
	// BoundaryHardware: a guest kernel behind hardware virtualization
	// (KVM): QEMU under KVM, Firecracker, Cloud Hypervisor, Kata.
	BoundaryHardware Boundary = "hardware-virtualization"
)

// Boundaries lists the classes, weakest first.
func Boundaries() []Boundary {
	return []Boundary{BoundarySharedKernel, BoundarySoftwareEmulation, BoundaryUserspaceKernel, BoundaryHardware}
}

// Strength orders the classes: 1 for the weakest, 4 for the strongest, 0
// for a string that names no class.
func (b Boundary) Strength() int {
	for i, c := range Boundaries() {
		if c == b {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether b names a class.
func (b Boundary) Valid() bool { return b.Strength() > 0 }

// Operation is one lifecycle operation an agent performs on a sandbox.
type Operation string

// The lifecycle operations the agent-control checklist counts.
const (
	OpCreate   Operation = "create"
	OpExec     Operation = "exec"
	OpSnapshot Operation = "snapshot"
	OpRestore  Operation = "restore"
	OpFork     Operation = "fork"
	OpDestroy  Operation = "destroy"
)

// LifecycleOperations lists the operations in the order an agent meets
// them.
func LifecycleOperations() []Operation {
	return []Operation{OpCreate, OpExec, OpSnapshot, OpRestore, OpFork, OpDestroy}
}

// Valid reports whether op is one of LifecycleOperations.
func (op Operation) Valid() bool {
	for _, o := range LifecycleOperations() {
		if o == op {
			return true
		}
	}
	return false
}

// Severity grades a hardening finding.
type Severity string

// Severities, gravest first.
const (
	SeverityHigh   Severity = "high"
	SeverityMedium Severity = "medium"
	SeverityLow    Severity = "low"
	SeverityInfo   Severity = "info"
)

// Severities lists the grades, gravest first.
func Severities() []Severity {
	return []Severity{SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo}
}

// Valid reports whether s is one of Severities.
func (s Severity) Valid() bool {
	for _, c := range Severities() {
		if c == s {
			return true
		}
	}
	return false
}
