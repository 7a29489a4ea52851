package rubric

import "github.com/agentic-eval/agentic-eval/vms"

// Version names the rubric. Change it whenever a constant or curve changes:
// scores from different versions are not comparable.
const Version = "rubric/3"

// Versions are the rubric versions Score knows, and each re-scores a saved
// result as it did when it was current. rubric/3 scores a published figure
// that bounds a different quantity as an interval (PublishedScoresWith),
// and classifies a guest under software emulation (QEMU under TCG) as
// vms.BoundarySoftwareEmulation, not hardware virtualization; rubric/2
// scores start-latency on the time to an agent's first verified result
// (the workload phase's python-hello by default), as rubric/3 does;
// rubric/1 scored the probe's ready line alone.
var Versions = []string{"rubric/1", "rubric/2", "rubric/3"}

// boundsAsIntervals reports whether version v scores bounds as intervals
// and software emulation as its own class: rubric/3 and later.
func boundsAsIntervals(v string) bool { return v != "rubric/1" && v != "rubric/2" }

// DefaultStartWorkload is the workload whose time to the first verified
// result rubric/2 and later score as start-latency.
const DefaultStartWorkload = "python-hello"

// Start-latency: log-linear from 1.0 at LatencyBest to 0.0 at LatencyWorst.
const (
	LatencyBestMS  = 100.0   // the reference's 1.0: a sandbox ready in under 100 ms
	LatencyWorstMS = 10000.0 // 10 s to a usable sandbox scores 0
)

// Density: log-linear from 1.0 at DensityBestMiB per instance to 0.0 at
// DensityWorstMiB.
const (
	DensityBestMiB  = 5.0   // microVM/container class: a few MiB per sandbox
	DensityWorstMiB = 512.0 // a full VM's worth of memory per sandbox scores 0
)

// Isolation: a base per boundary class, minus a penalty per hardening
// finding by severity, floored at IsolationFloor.
var IsolationBase = map[vms.Boundary]float64{
	vms.BoundaryHardware:        0.90, // 1.0 needs a minimal attack surface too: see MinimalSurfaceBonus
	vms.BoundaryUserspaceKernel: 0.60,
	// Software emulation (rubric/3; rubric/2 scored QEMU under TCG as the
	// hardware virtualization its driver declared): above a shared kernel,
	// because the guest's system calls reach a guest kernel and an escape
	// needs a flaw in the emulator, not in the host's kernel; below a
	// userspace kernel, because the emulator is no boundary by design:
	// QEMU's security policy leaves TCG out of its security support, and
	// the emulator with its device model is a large C program running as
	// an unconfined host process (see vms.BoundarySoftwareEmulation).
	vms.BoundarySoftwareEmulation: 0.50,
	vms.BoundarySharedKernel:      0.40,
}

// MinimalSurfaceBonus is added for hardware virtualization when the probe
// found no high-severity finding: the guest sees no host device to attack.
const MinimalSurfaceBonus = 0.05

// IsolationPenalty is subtracted per finding, by severity.
// Info findings cost nothing.
var IsolationPenalty = map[vms.Severity]float64{vms.SeverityHigh: 0.08, vms.SeverityMedium: 0.04, vms.SeverityLow: 0.01}

// IsolationFloor keeps findings from pushing a class below plausibility.
const IsolationFloor = 0.05

// Snapshotting: a verified restore earns SnapshotVerified; forks that all
// kept the token earn SnapshotFork more; the restore's median latency earns
// up to SnapshotSpeed more on the start-latency curve. A snapshot that is
// not supported by the driver scores SnapshotUnsupported; one that the
// runtime attempts but fails on this host scores SnapshotFailed.
const (
	SnapshotVerified    = 0.50
	SnapshotFork        = 0.10
	SnapshotSpeed       = 0.40
	SnapshotFailed      = 0.10
	SnapshotUnsupported = 0.00
)

// Agent-control checklist weights; they sum to 1.
const (
	ControlProgrammatic = 0.25 // an API, not only a command line
	ControlErrors       = 0.10 // machine-readable errors
	ControlSchema       = 0.10 // a discoverable schema
	ControlLifecycle    = 0.40 // share of the six lifecycle operations performed here
	ControlToolNative   = 0.15 // MCP or tool-call native
)

// The lifecycle operations the agent-control checklist counts are
// vms.LifecycleOperations.

// DisagreementThreshold is how far measured and curated may differ on an
// axis before the difference is flagged.
const DisagreementThreshold = 0.15
