package vms

// Published is one figure a system's makers published about it, with where
// and under what conditions. It is evidence of a different kind from the
// catalog's judgment and from a measurement here: a claim made on someone
// else's hardware, in its own terms. Each figure names the axis it bears on
// and says in Caveat how it differs from what agentic-eval measures, so
// that a reader can weigh it.
type Published struct {
	System System
	Axis   Axis
	// Metric names what was measured, in the source's terms.
	Metric string
	Value  float64
	Unit   string // "ms" or "MiB"
	// Bound is "<=" when the source states a ceiling rather than a
	// measured value, "" for a measured value.
	Bound string
	// Conditions are the source's: hardware, guest size, configuration.
	Conditions string
	Source     Source
	// Caveat says how the figure differs from agentic-eval's own, which
	// way the difference leans, and so how to read a score made from it.
	Caveat string
	// BoundOf is set when the figure measures a different quantity, one
	// that is only a part of agentic-eval's on the same axis (the guest's
	// init comes before any first Python result; the VMM's own memory is
	// part of a sandbox's): it names that quantity. Such a figure bounds
	// agentic-eval's quantity and is never a value of it: agentic-eval's
	// quantity is the figure plus a gap of at most MaxGap (in Unit), and
	// GapBasis says why the gap cannot be wider. The rubric scores such a
	// figure as an interval (rubric.PublishedScoresWith).
	BoundOf  string
	MaxGap   float64
	GapBasis string
}

// IsBound reports whether p bounds a different quantity (BoundOf).
func (p Published) IsBound() bool { return p.BoundOf != "" }

// Source is where a published figure is written.
type Source struct {
	Project  string
	Document string // the file or page
	URL      string
	Version  string // a version, commit or date of the document
}

// published is every figure the catalog cites, checked against its source
// on 2026-12-01. A system absent here has none (see PublishedNone).
var published = []Published{
	{
		System: Firecracker, Axis: StartLatency,
		Metric: "InstanceStart API call to the guest's /sbin/init",
		Value:  125, Unit: "ms", Bound: "<=",
		Conditions: "AWS i3.metal, hyperthreading off, 1 vCPU, 128 MiB, Firecracker-tuned minimal kernel and rootfs, serial console off",
		Source: Source{
			Project: "firecracker-microvm/firecracker", Document: "SPECIFICATION.md",
			URL:     "https://github.com/firecracker-microvm/firecracker/blob/main/SPECIFICATION.md",
			Version: "main at commit 0aad46c6",
		},
		Caveat:  "a ceiling enforced in CI, to guest init: no interpreter, no result; agentic-eval's start figure (first Python result) would be later, so the score is an upper bound",
		BoundOf: "time from the start request to the guest's init, before any agent or interpreter runs",
		MaxGap:  1000,
		GapBasis: "from the guest's init to a first verified Python result the agent must start and a cold interpreter load from a virtual disk; " +
			"on this project's hosts that step took 10 to 80 ms in containers and gVisor and 0.6 to 2.3 s in a QEMU guest under TCG software emulation, " +
			"which runs guest code many times slower than hardware virtualization: 1 s is the widest gap a hardware-virtualized guest is allowed",
	},
	{
		System: Firecracker, Axis: Density,
		Metric: "memory overhead of the VMM's own threads",
		Value:  5, Unit: "MiB", Bound: "<=",
		Conditions: "AWS i3.metal, 1 vCPU, 128 MiB guest, Firecracker-tuned guest kernel",
		Source: Source{
			Project: "firecracker-microvm/firecracker", Document: "SPECIFICATION.md",
			URL:     "https://github.com/firecracker-microvm/firecracker/blob/main/SPECIFICATION.md",
			Version: "main at commit 0aad46c6",
		},
		Caveat:   "the VMM alone: the guest memory a sandbox touches is not counted, so per-sandbox cost is higher and the score is an upper bound",
		BoundOf:  "memory of the VMM's own threads, without the guest's",
		MaxGap:   128,
		GapBasis: "the guest memory a sandbox touches, which agentic-eval counts and the figure does not, cannot exceed the 128 MiB the source's guest is given",
	},
	{
		System: Kata, Axis: StartLatency,
		Metric: "container launch to workload running (boot-times to-workload, mean), QEMU hypervisor",
		Value:  710, Unit: "ms",
		Conditions: "Kata CI metrics worker (Equinix m3.small.x86), kata-qemu, checkmetrics baseline midval (±30-40% accepted)",
		Source: Source{
			Project: "kata-containers/kata-containers", Document: "tests/metrics/cmd/checkmetrics/ci_worker/checkmetrics-json-qemu-kata-metric8.toml",
			URL:     "https://github.com/kata-containers/kata-containers/blob/main/tests/metrics/cmd/checkmetrics/ci_worker/checkmetrics-json-qemu-kata-metric8.toml",
			Version: "commit 0a4b755c",
		},
		Caveat: "a CI baseline for a busybox workload started through containerd, not a Python result; comparable in kind to agentic-eval's start figure",
	},
	{
		System: Kata, Axis: Density,
		Metric: "average PSS per idle container of the hypervisor, virtiofsd and shim (memory-footprint average), QEMU hypervisor",
		Value:  122832.40 / 1024, Unit: "MiB",
		Conditions: "Kata CI metrics worker (Equinix m3.small.x86), kata-qemu, idle busybox containers, PSS by smem (KB), checkmetrics baseline midval (±20%)",
		Source: Source{
			Project: "kata-containers/kata-containers", Document: "tests/metrics/cmd/checkmetrics/ci_worker/checkmetrics-json-qemu-kata-metric8.toml (test: tests/metrics/density/memory_usage.sh)",
			URL:     "https://github.com/kata-containers/kata-containers/blob/main/tests/metrics/density/memory_usage.sh",
			Version: "commit 0a4b755c",
		},
		Caveat: "PSS of the host processes, as agentic-eval's per-instance figure counts them: comparable in kind",
	},
}

// PublishedFor lists the figures published about s, in catalog order.
func PublishedFor(s System) []Published {
	var out []Published
	for _, p := range published {
		if p.System == s {
			out = append(out, p)
		}
	}
	return out
}

// PublishedNone says, for a system with no figure in the catalog, why.
func PublishedNone(s System) string {
	switch s {
	case AetherVM:
		return "no published figures: AetherVM is the reference's own system, with no public release or benchmark, so its row is its authors' judgment alone"
	case CloudHypervisor:
		return "no published figures: Cloud Hypervisor publishes a performance-metrics tool and runs it in CI, but its documents state no boot-time or memory figure to cite"
	}
	if len(PublishedFor(s)) > 0 {
		return ""
	}
	return "no published figures cited in the catalog: it is measured on the user's own host instead"
}
