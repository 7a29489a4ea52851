package rubric

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Provenance says where a score came from.
type Provenance string

// The provenances, strongest first.
const (
	Measured  Provenance = "measured"  // computed from figures measured on this host
	Checklist Provenance = "checklist" // computed from a checklist of facts, some observed here
	Declared  Provenance = "declared"  // the driver's declared class, where the probe could not decide
	Published Provenance = "published" // the makers' published figure, through the same curve; see vms.Published
	Curated   Provenance = "curated"   // the catalog's judgment; nothing measured
)

// AxisScore is one axis's score with its origin and the figures behind it.
type AxisScore struct {
	Axis       vms.Axis   `json:"-"`
	Score      float64    `json:"score"`
	Provenance Provenance `json:"provenance"`
	// Basis is one line: the raw figure and how the curve mapped it.
	Basis string `json:"basis"`
	// Lo and Hi bound the score's bootstrap interval (IntervalLevel) where
	// it rests on samples and ScoreWithIntervals made one; or, when Bound is
	// set, the interval a published bound allows (PublishedScoresWith);
	// nil otherwise.
	Lo *float64 `json:"ci_lo,omitempty"`
	Hi *float64 `json:"ci_hi,omitempty"`
	// Bound is set on a published figure that bounds a different quantity
	// (vms.Published.BoundOf): from rubric/3 on, Score is then the middle of
	// [Lo, Hi], and only the interval is a finding.
	Bound bool `json:"bound,omitempty"`
	// Emulated is set when the score comes from a variant that does not
	// represent its system (EmulationNote): the caveat, short.
	Emulated string `json:"emulated,omitempty"`
}

// MarshalJSON adds the axis's name.
func (a AxisScore) MarshalJSON() ([]byte, error) {
	type plain AxisScore
	return json.Marshal(struct {
		Axis string `json:"axis"`
		plain
	}{a.Axis.Name(), plain(a)})
}

// Scored is one variant's scores under one rubric version. Axes the run did
// not measure are absent.
type Scored struct {
	System  vms.System  `json:"system"`
	Variant string      `json:"variant"`
	Rubric  string      `json:"rubric"`
	Axes    []AxisScore `json:"axes"`
	// NotMeasured are axes the run attempted without a result to score:
	// the attempt failed for the environment or timed out (see
	// measure.Class), and that says nothing about the runtime.
	NotMeasured []AxisNotMeasured `json:"not_measured,omitempty"`
	// Emulated is the caveat of a variant that does not represent its
	// system (Emulation), "" otherwise.
	Emulated string `json:"emulated,omitempty"`
}

// AxisNotMeasured is one axis that was attempted and not measured.
type AxisNotMeasured struct {
	Axis   vms.Axis      `json:"-"`
	Class  results.Class `json:"class"`
	Reason string        `json:"reason"` // one line
}

// MarshalJSON adds the axis's name.
func (a AxisNotMeasured) MarshalJSON() ([]byte, error) {
	type plain AxisNotMeasured
	return json.Marshal(struct {
		Axis string `json:"axis"`
		plain
	}{a.Axis.Name(), plain(a)})
}

// Unmeasured returns why axis a was attempted but not measured, if so.
func (s Scored) Unmeasured(a vms.Axis) (AxisNotMeasured, bool) {
	for _, x := range s.NotMeasured {
		if x.Axis == a {
			return x, true
		}
	}
	return AxisNotMeasured{}, false
}

// Axis returns the score for a, if there is one.
func (s Scored) Axis(a vms.Axis) (AxisScore, bool) {
	for _, x := range s.Axes {
		if x.Axis == a {
			return x, true
		}
	}
	return AxisScore{}, false
}

// Options choose the rubric version and, under rubric/2, the workload
// whose time to the first result is the start-latency figure.
type Options struct {
	Version       string // "" is Version
	StartWorkload string // "" is DefaultStartWorkload
}

// CheckVersion refuses a version Score does not know, saying which it
// does.
func CheckVersion(v string) error {
	for _, k := range Versions {
		if v == k {
			return nil
		}
	}
	return fmt.Errorf("unknown rubric %q: supported are %s", v, strings.Join(Versions, ", "))
}

// Score maps one variant's raw results to scores under the current
// rubric. It is pure: the same result always gives the same scores under
// the same Version.
func Score(vr results.VariantResult) Scored { return ScoreWith(vr, Options{}) }

// ScoreWith is Score under o; an unknown version scores as Version.
func ScoreWith(vr results.VariantResult, o Options) Scored {
	if CheckVersion(o.Version) != nil {
		o.Version = Version
	}
	if o.StartWorkload == "" {
		o.StartWorkload = DefaultStartWorkload
	}
	s := Scored{System: vr.System, Variant: vr.Variant, Rubric: o.Version, Emulated: Emulation(vr)}
	note := EmulationNote(vr)
	add := func(a vms.Axis, score float64, p Provenance, basis string) {
		if note != "" {
			basis += "; " + note
		}
		s.Axes = append(s.Axes, AxisScore{Axis: a, Score: round(clamp(score, 0, 1)), Provenance: p, Basis: basis, Emulated: note})
	}
	if m, basis, ok := startFigure(vr, o); ok {
		add(vms.StartLatency, LatencyScore(m), Measured, basis)
	}
	if d := vr.Density; d != nil && d.PerInstanceMiB.N > 0 {
		m := d.PerInstanceMiB.Median
		add(vms.Density, DensityScore(m), Measured,
			fmt.Sprintf("median %.2f MiB per idle sandbox (PSS outside cgroup + cgroup charge) over %d; 1.0 at <= %.0f MiB, 0.0 at %.0f MiB, log scale", m, d.PerInstanceMiB.N, DensityBestMiB, DensityWorstMiB))
	}
	if iso := vr.Isolation; iso != nil {
		score, prov, basis := isolationScore(iso, vr, o.Version)
		add(vms.Isolation, score, prov, basis)
	} else if vr.Capabilities.Boundary != "" && vr.Fingerprint.Available {
		b, how := boundaryUnder(vr, vr.Capabilities.Boundary, o.Version)
		if base, ok := IsolationBase[b]; ok {
			add(vms.Isolation, base, Declared, fmt.Sprintf("boundary %s (%s); the probe's facts were not collected", b, how))
		}
	}
	if sn := vr.Snapshot; sn != nil {
		if class, why, unscored := snapshotUnscored(vr); unscored {
			s.NotMeasured = append(s.NotMeasured, AxisNotMeasured{Axis: vms.Snapshotting, Class: class, Reason: why})
		} else {
			score, basis := snapshotScore(sn)
			add(vms.Snapshotting, score, Measured, basis)
		}
	}
	if vr.Fingerprint.Available {
		score, basis := controlScore(vr)
		add(vms.AgentControl, score, Checklist, basis)
	}
	return s
}

// boundaryUnder is the class version v scores for a boundary b a driver
// declared on vr, and how it came to be, as a phrase: from rubric/3 on,
// hardware virtualization under software emulation is software emulation;
// rubric/1 and rubric/2 score what the driver declared, and so score a
// declared software emulation as the hardware virtualization the TCG driver
// declared when they were current.
func boundaryUnder(vr results.VariantResult, b vms.Boundary, v string) (vms.Boundary, string) {
	if !boundsAsIntervals(v) {
		if b == vms.BoundarySoftwareEmulation {
			return vms.BoundaryHardware, "declared by the driver as software-emulation, scored as hardware virtualization: " + v + " has no software-emulation class"
		}
		return b, "declared by the driver"
	}
	if c, re := ClassifyBoundary(vr, b); re {
		return c, "the run's accelerator is TCG: the guest's boundary is QEMU's emulator in a host process, not the hardware virtualization the driver declares"
	}
	return b, "declared by the driver"
}

func isolationScore(iso *results.Isolation, vr results.VariantResult, v string) (float64, Provenance, string) {
	a := iso.Assessment
	how := "observed by the probe"
	if !a.Observed {
		a.Boundary, how = boundaryUnder(vr, a.Boundary, v)
	}
	base, ok := IsolationBase[a.Boundary]
	if !ok {
		return 0, Declared, fmt.Sprintf("unknown boundary class %q", a.Boundary)
	}
	prov := Declared
	if a.Observed {
		prov = Measured
	}
	score := base
	high := 0
	var counted []vms.Severity
	for _, f := range a.Findings {
		pen := IsolationPenalty[f.Severity]
		if pen == 0 {
			continue
		}
		score -= pen
		if f.Severity == vms.SeverityHigh {
			high++
		}
		counted = append(counted, f.Severity)
	}
	if a.Boundary == vms.BoundaryHardware && high == 0 {
		score += MinimalSurfaceBonus
	}
	score = clamp(score, IsolationFloor, 1)
	return score, prov, fmt.Sprintf("%s boundary (%s, base %.2f), %d hardening findings %s", a.Boundary, how, base, len(counted), summarizeSeverities(counted))
}

func summarizeSeverities(sev []vms.Severity) string {
	if len(sev) == 0 {
		return "(none)"
	}
	n := map[vms.Severity]int{}
	for _, s := range sev {
		n[s]++
	}
	var parts []string
	for _, s := range vms.Severities() {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// snapshotUnscored reports whether a snapshot that produced no verified
// restore failed for a reason that is no result: its cause, or else every
// snapshot-phase failure, is of the environment or timeout class. Documents
// without classes score as before.
func snapshotUnscored(vr results.VariantResult) (results.Class, string, bool) {
	sn := vr.Snapshot
	if !sn.Supported || (sn.SnapshotNS > 0 && sn.Verified > 0) {
		return "", "", false
	}
	if sn.Cause != "" {
		if sn.CauseClass.Scored() {
			return "", "", false
		}
		return sn.CauseClass, "snapshot not measured (" + string(sn.CauseClass) + "): " + sn.Cause, true
	}
	var class results.Class
	var why string
	for _, f := range vr.Failures {
		if f.Phase != string(results.PhaseSnapshot) {
			continue
		}
		if f.Class.Scored() {
			return "", "", false
		}
		if class == "" {
			class, why = f.Class, f.Cause
		}
	}
	if class == "" {
		return "", "", false
	}
	return class, "restores not measured (" + string(class) + "): " + why, true
}

func snapshotScore(sn *results.SnapshotResult) (float64, string) {
	switch {
	case !sn.Supported:
		return SnapshotUnsupported, "no snapshot support: " + sn.Cause
	case sn.SnapshotNS == 0 || sn.Verified == 0:
		cause := sn.Cause
		if cause == "" {
			cause = fmt.Sprintf("%d restores, none verified by the probe's token", len(sn.RestoreNS))
		}
		if !strings.Contains(cause, "failed") {
			cause = "snapshot attempted but failed on this host: " + cause
		}
		return SnapshotFailed, cause
	}
	score := SnapshotVerified
	basis := fmt.Sprintf("restore verified by token (%d of %d)", sn.Verified, sn.Verified+sn.FailedRestores)
	if sn.Forks >= 2 && sn.FailedRestores == 0 {
		score += SnapshotFork
		basis += fmt.Sprintf(", %d forks from one snapshot", sn.Forks)
	}
	if sn.Restore.N > 0 {
		speed := LatencyScore(sn.Restore.Median)
		score += SnapshotSpeed * speed
		basis += fmt.Sprintf(", restore median %.0f ms (speed %.2f x %.2f)", sn.Restore.Median, speed, SnapshotSpeed)
	}
	return score, basis
}

func controlScore(vr results.VariantResult) (float64, string) {
	c := vr.Capabilities.Control
	score := 0.0
	var have []string
	if c.Programmatic {
		score += ControlProgrammatic
		have = append(have, "programmatic API")
	}
	if c.MachineErrors {
		score += ControlErrors
		have = append(have, "machine-readable errors")
	}
	if c.DiscoverableSchema {
		score += ControlSchema
		have = append(have, "discoverable schema")
	}
	done := 0
	var ops []string
	lifecycle := vms.LifecycleOperations()
	for _, op := range lifecycle {
		for _, o := range vr.Operations {
			if o == op {
				done++
				ops = append(ops, string(op))
				break
			}
		}
	}
	score += ControlLifecycle * float64(done) / float64(len(lifecycle))
	if c.ToolNative {
		score += ControlToolNative
		have = append(have, "tool/MCP-native")
	}
	if len(have) == 0 {
		have = append(have, "no API beyond a command line")
	}
	opsText := "none"
	if len(ops) > 0 {
		opsText = strings.Join(ops, ", ")
	}
	return score, fmt.Sprintf("checklist: %s via %s; lifecycle performed here %d/%d (%s)", strings.Join(have, ", "), c.Kind, done, len(lifecycle), opsText)
}

// startFigure is the start-latency figure in ms and its basis: under
// rubric/2 the time from the request to the first verified result of
// o.StartWorkload, where the run measured it; otherwise the probe's ready
// line, which under rubric/2 says it is a lower bound.
func startFigure(vr results.VariantResult, o Options) (float64, string, bool) {
	curve := fmt.Sprintf("1.0 at <= %.0f ms, 0.0 at %.0f s, log scale", LatencyBestMS, LatencyWorstMS/1000)
	if o.Version != "rubric/1" && vr.Workloads != nil {
		for _, t := range vr.Workloads.TTI {
			if t.Workload == o.StartWorkload && t.FirstResult.N > 0 {
				m := t.FirstResult.Median
				return m, fmt.Sprintf("median %.1f ms from the request to the first verified %s result, over %d fresh sandboxes of the Python image (probe ready at %.1f ms); %s", m, t.Workload, t.FirstResult.N, t.Ready.Median, curve), true
			}
		}
	}
	l := vr.StartLatency
	if l == nil || l.Summary.N == 0 {
		return 0, "", false
	}
	m := l.Summary.Median
	basis := fmt.Sprintf("median %.1f ms over %d fresh sandboxes; %s", m, l.Summary.N, curve)
	if o.Version != "rubric/1" {
		basis = fmt.Sprintf("median %.1f ms to the probe's ready line over %d fresh sandboxes: a lower bound, no %s result was measured; %s", m, l.Summary.N, o.StartWorkload, curve)
	}
	return m, basis, true
}
