package evaluate

import (
	"math"
	"slices"
	"strings"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/rubric"
	"github.com/agentic-eval/agentic-eval/vms"
)

// AxisValue is one axis of the effective profile.
type AxisValue struct {
	Axis       string            `json:"axis"`
	Score      float64           `json:"score"`
	Curated    float64           `json:"curated"`
	Provenance rubric.Provenance `json:"provenance"`
	Variant    string            `json:"variant,omitempty"` // the variant measured, when not curated
	Basis      string            `json:"basis"`
	// Lo and Hi bound a measured score's bootstrap interval; nil for a
	// score without one (curated, checklist, declared, or from facts).
	Lo *float64 `json:"ci_lo,omitempty"`
	Hi *float64 `json:"ci_hi,omitempty"`
	// NotMeasured is set when the primary variant attempted the axis but
	// the attempt is no result (the environment got in the way or it timed
	// out): the curated score stands, and this says why.
	NotMeasured string `json:"not_measured,omitempty"`
}

// Disagreement is an axis where a measured variant and the catalog differ
// by rubric.DisagreementThreshold or more.
type Disagreement struct {
	Axis    string  `json:"axis"`
	Variant string  `json:"variant"`
	Curated float64 `json:"curated"`
	// Measured is the score that disagrees: measured here, or published
	// (Variant "published", Provenance rubric.Published).
	Measured        float64           `json:"measured"`
	Delta           float64           `json:"delta"` // measured minus curated
	Provenance      rubric.Provenance `json:"provenance"`
	CuratedEvidence string            `json:"curated_evidence"`
	MeasuredBasis   string            `json:"measured_basis"`
}

// Row is one system: curated, measured per variant, and effective.
type Row struct {
	System   vms.System      `json:"system"`
	Curated  vms.Profile     `json:"curated"`
	Variants []rubric.Scored `json:"variants,omitempty"`
	// Primary is the variant the effective profile takes its measured axes
	// from; "" when nothing was measured.
	Primary        string      `json:"primary,omitempty"`
	Effective      vms.Profile `json:"-"`
	Axes           []AxisValue `json:"effective"`
	Fitness        float64     `json:"fitness"`         // effective, under the weights
	CuratedFitness float64     `json:"curated_fitness"` // curated, under the weights
	// FitnessLo and FitnessHi bound the effective fitness's bootstrap
	// interval; nil when no axis was measured (a curated row has no
	// interval: it is a judgment, not a sample).
	FitnessLo *float64 `json:"fitness_ci_lo,omitempty"`
	FitnessHi *float64 `json:"fitness_ci_hi,omitempty"`
	// Rank is the row's place, best first; rows whose fitness cannot be
	// told apart at rubric.IntervalLevel share a rank and are Tied.
	Rank          int            `json:"rank"`
	Tied          bool           `json:"tied,omitempty"`
	Disagreements []Disagreement `json:"disagreements,omitempty"`
	// NotMeasured says which variants the run tried without a measured
	// figure, and why, in preference order; when the run did not include the
	// system at all, it is one entry without a variant. The row is curated
	// only when Primary is "", whatever NotMeasured holds.
	NotMeasured []NotMeasured `json:"not_measured,omitempty"`

	// Published are the scores made from the makers' published figures
	// (rubric.PublishedScores), used where nothing was measured;
	// PublishedNone says why there are none, when there are none.
	Published     []rubric.AxisScore `json:"published,omitempty"`
	PublishedNone string             `json:"published_none,omitempty"`

	// fits are the fitness's bootstrap replicates; nil for a curated row.
	fits []float64
}

// NotMeasured is why one variant has no measured figure.
type NotMeasured struct {
	Variant string `json:"variant,omitempty"` // "" when the run did not include the system
	Reason  string `json:"reason"`            // precise, one line
	Fix     string `json:"fix,omitempty"`     // what would make it measurable
}

// WhyNotMeasured is the row's NotMeasured in one line, each reason
// prefixed with its variant unless the variant is named as the system is.
func (r Row) WhyNotMeasured() string {
	var parts []string
	for _, n := range r.NotMeasured {
		if n.Variant == "" || n.Variant == r.System.Name() {
			parts = append(parts, n.Reason)
		} else {
			parts = append(parts, n.Variant+": "+n.Reason)
		}
	}
	return strings.Join(parts, "; ")
}

// Warning qualifies figures of a run: the whole run's (Variant "") or one
// variant's, from its fingerprint or its measurement.
type Warning struct {
	Variant string `json:"variant,omitempty"`
	Warning string `json:"warning"`
}

// String is the warning prefixed with its variant, if any.
func (w Warning) String() string {
	if w.Variant == "" {
		return w.Warning
	}
	return w.Variant + ": " + w.Warning
}

// Evaluation is the side-by-side view of a run, ranked by effective fitness.
type Evaluation struct {
	Rubric  string      `json:"rubric"`
	Weights vms.Weights `json:"weights"`
	// Measured is whether a results document was evaluated at all.
	Measured bool   `json:"measured"`
	RunID    string `json:"run_id,omitempty"`
	Host     string `json:"host,omitempty"`
	// Tool is the program and version that measured, e.g. "agentic-eval
	// v0.3.0".
	Tool string `json:"tool,omitempty"`
	// Interrupted is set when the run was stopped before it finished.
	Interrupted bool  `json:"interrupted,omitempty"`
	Rows        []Row `json:"rows"`
	// Warnings are the run's, then each variant's, in catalog and
	// preference order.
	Warnings []Warning `json:"warnings,omitempty"`
}

// Options tune an evaluation.
type Options struct {
	// Preferred lists, per system, variant names most preferred first
	// (registry.Preferred): a system's effective profile comes from its
	// most preferred variant with a measured axis, whatever the order of
	// the results document. Names the run has no result for are skipped;
	// variants not listed (and every variant of a system absent from the
	// map) come after the listed ones, by name.
	Preferred map[vms.System][]string
	// Rubric chooses the rubric version and the start-latency workload.
	Rubric rubric.Options
}

// Evaluate combines results (nil: nothing measured) with the catalog under
// weights w.
func Evaluate(res *results.Results, w vms.Weights, opts Options) Evaluation {
	ev := Evaluation{Rubric: rubric.Version, Weights: w}
	if opts.Rubric.Version != "" && rubric.CheckVersion(opts.Rubric.Version) == nil {
		ev.Rubric = opts.Rubric.Version
	}
	var variants []results.VariantResult
	if res != nil {
		ev.Measured = true
		ev.RunID = res.RunID
		ev.Host = strings.TrimSpace(res.Host.CPUModel + ", kernel " + res.Host.KernelRelease)
		ev.Tool = strings.TrimSpace(res.Tool.Name + " " + res.Tool.Version)
		ev.Interrupted = res.Interrupted
		variants = res.Systems
		for _, w := range res.Warnings {
			ev.Warnings = append(ev.Warnings, Warning{Warning: w})
		}
	}
	var rows []Row
	for _, sys := range vms.All() {
		mine := opts.ordered(sys, variants)
		rows = append(rows, evaluateSystem(sys, mine, w, ev.Measured, opts.Rubric))
		for _, vr := range mine {
			for _, wn := range slices.Concat(vr.Fingerprint.Warnings, vr.Warnings) {
				ev.Warnings = append(ev.Warnings, Warning{Variant: vr.Variant, Warning: wn})
			}
		}
	}
	// Rank best-first by effective fitness, stable in catalog order.
	profiles := make([]vms.Profile, len(rows))
	for i, r := range rows {
		profiles[i] = r.Effective
	}
	ranked := vms.RankProfiles(profiles, w)
	for _, p := range ranked {
		for _, r := range rows {
			if r.System == p.System {
				ev.Rows = append(ev.Rows, r)
			}
		}
	}
	assignRanks(ev.Rows)
	return ev
}

// evaluateSystem scores sys's variants, given in preference order.
func evaluateSystem(sys vms.System, variants []results.VariantResult, w vms.Weights, measured bool, ro rubric.Options) Row {
	cur := vms.ProfileOf(sys)
	row := Row{System: sys, Curated: cur, Effective: cur, CuratedFitness: w.Fitness(cur)}
	var reasons []NotMeasured
	var primaryReps []rubric.Scored
	for _, vr := range variants {
		if !vr.Fingerprint.Available {
			reasons = append(reasons, NotMeasured{Variant: vr.Variant, Reason: vr.Fingerprint.Reason, Fix: vr.Fingerprint.Fix})
			continue
		}
		sc, reps := rubric.ScoreWithIntervals(vr, ro)
		row.Variants = append(row.Variants, sc)
		if !hasMeasured(sc) {
			reasons = append(reasons, NotMeasured{Variant: vr.Variant, Reason: noFigure(vr)})
		} else if row.Primary == "" {
			row.Primary = vr.Variant
			primaryReps = reps
		}
		for _, a := range sc.Axes {
			c := cur.Score(a.Axis)
			if d := a.Score - c; math.Abs(d) >= rubric.DisagreementThreshold-1e-9 {
				row.Disagreements = append(row.Disagreements, Disagreement{
					Axis: a.Axis.Name(), Variant: vr.Variant, Curated: c, Measured: a.Score,
					Delta: math.Round(d*1000) / 1000, Provenance: a.Provenance,
					CuratedEvidence: evidenceFor(cur, a.Axis), MeasuredBasis: a.Basis,
				})
			}
		}
	}
	var primary *rubric.Scored
	for i := range row.Variants {
		if row.Variants[i].Variant == row.Primary {
			primary = &row.Variants[i]
		}
	}
	row.Published = rubric.PublishedScores(sys)
	row.PublishedNone = vms.PublishedNone(sys)
	for _, p := range row.Published {
		c := cur.Score(p.Axis)
		if d := p.Score - c; math.Abs(d) >= rubric.DisagreementThreshold-1e-9 {
			row.Disagreements = append(row.Disagreements, Disagreement{
				Axis: p.Axis.Name(), Variant: "published", Curated: c, Measured: p.Score,
				Delta: math.Round(d*1000) / 1000, Provenance: rubric.Published,
				CuratedEvidence: evidenceFor(cur, p.Axis), MeasuredBasis: p.Basis,
			})
		}
	}
	for _, ax := range vms.Axes() {
		v := AxisValue{Axis: ax.Name(), Score: cur.Score(ax), Curated: cur.Score(ax), Provenance: rubric.Curated, Basis: evidenceFor(cur, ax)}
		for _, p := range row.Published {
			if p.Axis == ax {
				v.Score, v.Provenance, v.Basis = p.Score, rubric.Published, p.Basis
			}
		}
		if primary != nil {
			if s, ok := primary.Axis(ax); ok {
				v.Score, v.Provenance, v.Variant, v.Basis = s.Score, s.Provenance, primary.Variant, s.Basis
				v.Lo, v.Hi = s.Lo, s.Hi
			} else if nm, ok := primary.Unmeasured(ax); ok {
				v.NotMeasured = primary.Variant + ": " + nm.Reason
			}
		}
		row.Effective = row.Effective.WithScore(ax, v.Score)
		row.Axes = append(row.Axes, v)
	}
	row.Fitness = w.Fitness(row.Effective)
	if primary != nil && len(primaryReps) > 0 {
		row.fits = fitnessReplicates(row, primaryReps, w)
		lo, hi := rubric.Interval(row.fits)
		row.FitnessLo, row.FitnessHi = &lo, &hi
	}
	row.NotMeasured = reasons
	if row.Primary == "" {
		if len(reasons) == 0 {
			why := "not measured in this run"
			if !measured {
				why = "nothing was measured: no results were evaluated"
			}
			row.NotMeasured = []NotMeasured{{Reason: why, Fix: "measure it with agentic-eval vms measure " + sys.Name() + " and evaluate the results file"}}
		}
	}
	return row
}

// noFigure says why an available variant produced no measured axis.
func noFigure(vr results.VariantResult) string {
	why := "available, but no phase produced a measured figure"
	if len(vr.Failures) > 0 {
		f := vr.Failures[0]
		why += " (first failure, " + f.Phase + ": " + f.Cause + ")"
	}
	return why
}

func hasMeasured(s rubric.Scored) bool {
	for _, a := range s.Axes {
		if a.Provenance == rubric.Measured {
			return true
		}
	}
	return false
}

// evidenceFor is the curated evidence line behind an axis: the catalog
// writes one line per axis, in axis order.
func evidenceFor(p vms.Profile, a vms.Axis) string {
	if int(a) < len(p.Evidence) {
		return p.Evidence[a]
	}
	return ""
}
