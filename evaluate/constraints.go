package evaluate

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/rubric"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Constraints are hard limits on a recommendation, beside the weights: a
// system that fails one is never recommended, and a limit with no figure to
// test it against is untested for that system, never passed. The zero
// value constrains nothing.
type Constraints struct {
	// MaxStartP50MS and MaxStartP99MS bound the start latency in
	// milliseconds (0: no bound): the time to the first verified result of
	// the start workload where the run measured it, otherwise the probe's
	// ready line.
	MaxStartP50MS float64 `json:"max_start_p50_ms,omitempty"`
	MaxStartP99MS float64 `json:"max_start_p99_ms,omitempty"`
	// MinIsolation is the weakest isolation class accepted ("": any).
	MinIsolation vms.Boundary `json:"min_isolation,omitempty"`
	// Snapshot requires that a running sandbox can be snapshotted and
	// restored (forked).
	Snapshot bool `json:"snapshot,omitempty"`
	// MaxMemoryMiB bounds the host memory per idle sandbox (0: no bound).
	MaxMemoryMiB float64 `json:"max_memory_mib,omitempty"`
	// Runnable requires a variant available on the results' host.
	Runnable bool `json:"runnable,omitempty"`
	// Obtainable requires a public release (vms.AvailabilityOf).
	Obtainable bool `json:"obtainable,omitempty"`
}

// MaxBoundMS caps the latency bounds a constraint may give: an hour.
const MaxBoundMS = 3_600_000

// Validate says what is wrong with c and what is valid.
func (c Constraints) Validate() error {
	bound := func(name string, v, max float64, unit string) error {
		if math.IsNaN(v) || v < 0 || v > max {
			return fmt.Errorf("%s %v out of range: want a bound above 0 and at most %v %s (0 or absent: no bound)", name, v, max, unit)
		}
		return nil
	}
	if err := errors.Join(
		bound("max start p50", c.MaxStartP50MS, MaxBoundMS, "ms"),
		bound("max start p99", c.MaxStartP99MS, MaxBoundMS, "ms"),
		bound("max memory", c.MaxMemoryMiB, 1<<20, "MiB"),
	); err != nil {
		return err
	}
	if c.MinIsolation != "" && !c.MinIsolation.Valid() {
		return fmt.Errorf("unknown isolation class %s: valid classes, weakest first, are %s", results.Shorten(string(c.MinIsolation)), boundaryNames())
	}
	return nil
}

// ParseBoundary reads an isolation class by its name.
func ParseBoundary(s string) (vms.Boundary, error) {
	b := vms.Boundary(strings.ToLower(strings.TrimSpace(s)))
	if s == "hardware" {
		b = vms.BoundaryHardware
	}
	if !b.Valid() {
		return "", fmt.Errorf("unknown isolation class %s: valid classes, weakest first, are %s", results.Shorten(s), boundaryNames())
	}
	return b, nil
}

func boundaryNames() string {
	var n []string
	for _, b := range vms.Boundaries() {
		n = append(n, string(b))
	}
	return strings.Join(n, " < ")
}

// Any reports whether c constrains anything.
func (c Constraints) Any() bool { return c != Constraints{} }

// Status is how a system stands against a constraint.
type Status string

// The statuses: a limit without a figure to test it is untested.
const (
	Pass     Status = "pass"
	Fail     Status = "fail"
	Untested Status = "untested"
)

// Check is one constraint tested against one system.
type Check struct {
	Constraint string `json:"constraint"` // e.g. "start p50 <= 200 ms"
	Status     Status `json:"status"`
	// Figure is what the limit was tested against, in words; for an
	// untested limit, why there is no figure.
	Figure string `json:"figure"`
	// Provenance is where the figure comes from: measured, declared (a
	// driver's static capabilities), curated (the catalog), or none.
	Provenance string `json:"provenance"`
	Variant    string `json:"variant,omitempty"`
}

// Verdict is one system against every constraint: Fail if one fails,
// else Untested if one is untested, else Pass.
type Verdict struct {
	System vms.System `json:"system"`
	Status Status     `json:"status"`
	Checks []Check    `json:"checks"`
}

// Failing returns the checks that did not pass.
func (v Verdict) Failing() []Check {
	var out []Check
	for _, c := range v.Checks {
		if c.Status != Pass {
			out = append(out, c)
		}
	}
	return out
}

// Facts are what constraints are tested against besides the evaluation.
type Facts struct {
	// Results is the evaluated run (nil: nothing measured).
	Results *results.Results
	// Declared is, per system, the static capabilities of the variant that
	// speaks for it (registry order), for systems the run did not measure.
	Declared map[vms.System]driver.Capabilities
	// StartWorkload is the workload whose first verified result times the
	// start ("" is rubric.DefaultStartWorkload).
	StartWorkload string
}

// DeclaredOf is Facts.Declared from drivers listed in preference order:
// per system, the static capabilities of its first driver.
func DeclaredOf(drivers []driver.Driver) map[vms.System]driver.Capabilities {
	out := map[vms.System]driver.Capabilities{}
	for _, d := range drivers {
		if _, ok := out[d.System()]; !ok {
			out[d.System()] = d.Capabilities()
		}
	}
	return out
}

// CheckConstraints tests every row of ev against c, in ev's order: the
// ranked rows, then those apart (systems that cannot run on the host).
func CheckConstraints(ev Evaluation, c Constraints, f Facts) []Verdict {
	out := make([]Verdict, 0, len(ev.Rows)+len(ev.Apart))
	for _, r := range slices.Concat(ev.Rows, ev.Apart) {
		out = append(out, checkRow(r, c, f))
	}
	return out
}

const provNone = "none"

func checkRow(r Row, c Constraints, f Facts) Verdict {
	v := Verdict{System: r.System, Status: Pass}
	var primary *results.VariantResult
	if f.Results != nil && r.Primary != "" {
		primary = f.Results.Variant(r.Primary)
	}
	notMeasured := func() string {
		if f.Results == nil {
			return "nothing was measured: no results file"
		}
		return "not measured in run " + f.Results.RunID + ": " + r.WhyNotMeasured()
	}
	add := func(ch Check) {
		v.Checks = append(v.Checks, ch)
		switch {
		case ch.Status == Fail:
			v.Status = Fail
		case ch.Status == Untested && v.Status == Pass:
			v.Status = Untested
		}
	}
	if c.Obtainable {
		a := vms.AvailabilityOf(r.System)
		add(Check{Constraint: "obtainable (a public release exists)", Status: passIf(a.Obtainable), Figure: a.Release + " (source: " + a.Source + ")", Provenance: string(rubric.Curated)})
	}
	if c.Runnable {
		add(runnable(r, f.Results))
	}
	if c.MaxStartP50MS > 0 || c.MaxStartP99MS > 0 {
		wl := f.StartWorkload
		if wl == "" {
			wl = rubric.DefaultStartWorkload
		}
		for _, lim := range []struct {
			name  string
			bound float64
			p99   bool
		}{{"p50", c.MaxStartP50MS, false}, {"p99", c.MaxStartP99MS, true}} {
			if lim.bound <= 0 {
				continue
			}
			name := fmt.Sprintf("start %s <= %s", lim.name, msText(lim.bound))
			if primary == nil {
				add(Check{Constraint: name, Status: Untested, Figure: notMeasured(), Provenance: provNone})
				continue
			}
			add(startCheck(name, *primary, wl, lim.bound, lim.p99))
		}
	}
	if c.MinIsolation != "" {
		add(isolationCheck(r, primary, c.MinIsolation, f))
	}
	if c.Snapshot {
		add(snapshotCheck(r, primary, f))
	}
	if c.MaxMemoryMiB > 0 {
		name := fmt.Sprintf("memory per sandbox <= %g MiB", c.MaxMemoryMiB)
		switch {
		case primary == nil:
			add(Check{Constraint: name, Status: Untested, Figure: notMeasured(), Provenance: provNone})
		case primary.Density == nil || primary.Density.PerInstanceMiB.N == 0:
			add(Check{Constraint: name, Status: Untested, Figure: "the run measured no density figure for " + primary.Variant, Provenance: provNone, Variant: primary.Variant})
		default:
			s := primary.Density.PerInstanceMiB
			add(Check{Constraint: name, Status: passIf(s.Median <= c.MaxMemoryMiB), Variant: primary.Variant, Provenance: string(rubric.Measured),
				Figure: fmt.Sprintf("median %.2f MiB per idle sandbox [95%% CI %.2f, %.2f] over %d sandboxes held at once (PSS plus cgroup charge)", s.Median, s.Lo, s.Hi, s.N)})
		}
	}
	return v
}

func passIf(ok bool) Status {
	if ok {
		return Pass
	}
	return Fail
}

func msText(v float64) string { return fmt.Sprintf("%g ms", v) }

func runnable(r Row, res *results.Results) Check {
	name := "runnable on this host (a variant available in the results)"
	if res == nil {
		return Check{Constraint: name, Status: Untested, Figure: "no results file: measure this host with agentic-eval vms measure and pass its results", Provenance: provNone}
	}
	var tried []string
	for _, vr := range res.Systems {
		if vr.System != r.System {
			continue
		}
		if vr.Fingerprint.Available {
			return Check{Constraint: name, Status: Pass, Variant: vr.Variant, Provenance: string(rubric.Measured),
				Figure: fmt.Sprintf("%s was available in run %s (%s)", vr.Variant, res.RunID, strings.TrimSpace(vr.Fingerprint.Version))}
		}
		tried = append(tried, vr.Variant+": "+vr.Fingerprint.Reason)
	}
	if len(tried) == 0 {
		return Check{Constraint: name, Status: Untested, Figure: "run " + res.RunID + " did not try " + r.System.Name(), Provenance: provNone}
	}
	return Check{Constraint: name, Status: Fail, Provenance: string(rubric.Measured), Figure: "unavailable in run " + res.RunID + ": " + strings.Join(tried, "; ")}
}

func startCheck(name string, vr results.VariantResult, wl string, bound float64, p99 bool) Check {
	ch := Check{Constraint: name, Variant: vr.Variant, Provenance: string(rubric.Measured)}
	var s stats.Summary
	var what string
	if vr.Workloads != nil {
		for _, t := range vr.Workloads.TTI {
			if t.Workload == wl && t.FirstResult.N > 0 {
				s, what = t.FirstResult, "from the request to the first verified "+wl+" result"
			}
		}
	}
	if what == "" && vr.StartLatency != nil && vr.StartLatency.Summary.N > 0 {
		s, what = vr.StartLatency.Summary, "from the request to the probe's ready line (a lower bound: no "+wl+" result was measured)"
	}
	if what == "" {
		ch.Status, ch.Provenance, ch.Figure = Untested, provNone, "the run measured no start latency for "+vr.Variant
		return ch
	}
	if p99 {
		if s.P99 == nil {
			ch.Status, ch.Provenance = Untested, provNone
			ch.Figure = fmt.Sprintf("no p99: it needs 100 samples or more, %s has %d (median %.1f ms %s)", vr.Variant, s.N, s.Median, what)
			return ch
		}
		ch.Status = passIf(*s.P99 <= bound)
		ch.Figure = fmt.Sprintf("p99 %.1f ms %s, over %d fresh sandboxes", *s.P99, what, s.N)
		return ch
	}
	ch.Status = passIf(s.Median <= bound)
	ch.Figure = fmt.Sprintf("median %.1f ms [95%% CI %.1f, %.1f] %s, over %d fresh sandboxes", s.Median, s.Lo, s.Hi, what, s.N)
	return ch
}

func isolationCheck(r Row, primary *results.VariantResult, min vms.Boundary, f Facts) Check {
	ch := Check{Constraint: "isolation at least " + string(min)}
	judge := func(b vms.Boundary, how string) Check {
		ch.Status = passIf(b.Strength() >= min.Strength())
		ch.Figure = string(b) + " (" + how + ")"
		return ch
	}
	if primary != nil {
		ch.Variant = primary.Variant
		if i := primary.Isolation; i != nil && i.Assessment.Observed && i.Assessment.Boundary.Valid() {
			ch.Provenance = string(rubric.Measured)
			return judge(i.Assessment.Boundary, "observed by the probe inside "+primary.Variant)
		}
		if b := primary.Capabilities.Boundary; b.Valid() {
			ch.Provenance = string(rubric.Declared)
			// An emulated guest's boundary is the emulator, whatever
			// its driver declares.
			if c, re := rubric.ClassifyBoundary(*primary, b); re {
				return judge(c, "the run's accelerator is TCG: "+primary.Variant+" is software emulation in a host process, not the "+string(b)+" its driver declares")
			}
			return judge(b, "declared by the "+primary.Variant+" driver, not observed")
		}
	}
	if caps, ok := f.Declared[r.System]; ok && caps.Boundary.Valid() {
		ch.Provenance = string(rubric.Declared)
		return judge(caps.Boundary, "declared by the driver's static capabilities, not observed on this host")
	}
	ch.Status, ch.Provenance, ch.Figure = Untested, provNone, "no isolation class observed or declared for "+r.System.Name()
	return ch
}

func snapshotCheck(r Row, primary *results.VariantResult, f Facts) Check {
	ch := Check{Constraint: "snapshot and restore (fork) supported"}
	if primary != nil {
		ch.Variant = primary.Variant
		if s := primary.Snapshot; s != nil {
			switch {
			case s.Supported && s.Verified > 0:
				ch.Status, ch.Provenance = Pass, string(rubric.Measured)
				ch.Figure = fmt.Sprintf("%d restores from one snapshot answered with the token they held (%d failed)", s.Verified, s.FailedRestores)
			case !s.Supported:
				ch.Status, ch.Provenance = Fail, string(rubric.Declared)
				ch.Figure = "the " + primary.Variant + " driver cannot snapshot: " + orNone(s.Cause)
			case !s.CauseClass.Scored():
				ch.Status, ch.Provenance = Untested, provNone
				ch.Figure = fmt.Sprintf("the attempt is no result (%s failure): %s", s.CauseClass, orNone(s.Cause))
			default:
				ch.Status, ch.Provenance = Fail, string(rubric.Measured)
				ch.Figure = "snapshot or restore failed on this host: " + orNone(s.Cause)
			}
			return ch
		}
		caps := primary.Capabilities
		return declaredSnapshot(ch, caps, "the "+primary.Variant+" driver declares it; the run did not attempt it")
	}
	// Not measured: a driver's declared ability passes as declared; a
	// driver that declares none may only be a stand-in that cannot drive the
	// system at all, so that is no figure, and the catalog's judgment is
	// shown beside it.
	if caps, ok := f.Declared[r.System]; ok && caps.Snapshot && caps.Restore {
		return declaredSnapshot(ch, caps, "the driver's static capabilities, not attempted on this host")
	}
	ch.Status, ch.Provenance = Untested, provNone
	ch.Figure = fmt.Sprintf("no snapshot was attempted and no driver here declares one; the catalog's curated snapshotting score is %.2f: %s", r.Curated.Score(vms.Snapshotting), evidenceFor(r.Curated, vms.Snapshotting))
	return ch
}

// declaredSnapshot judges by a driver's declared capabilities: a claim,
// said to be one.
func declaredSnapshot(ch Check, caps driver.Capabilities, how string) Check {
	ch.Provenance = string(rubric.Declared)
	ch.Status = passIf(caps.Snapshot && caps.Restore)
	fork := "one snapshot restores once"
	if caps.RestoreMany {
		fork = "one snapshot restores many times (fork)"
	}
	if caps.Snapshot && caps.Restore {
		ch.Figure = "snapshot and restore declared, " + fork + " (" + how + ")"
	} else {
		ch.Figure = "no snapshot and restore declared (" + how + ")"
	}
	return ch
}

func orNone(s string) string {
	if s == "" {
		return "no cause recorded"
	}
	return s
}
