package evaluate

import (
	"fmt"
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
	// Lo and Hi bound a measured score's bootstrap interval, or, when Bound
	// is set, the interval a published bound allows; nil for a score
	// without one (curated, checklist, declared, or from facts).
	Lo *float64 `json:"ci_lo,omitempty"`
	Hi *float64 `json:"ci_hi,omitempty"`
	// Bound is set when the score comes from a published figure of a
	// different quantity (rubric/3): only [Lo, Hi] is a finding, and Score
	// is its middle.
	Bound bool `json:"bound,omitempty"`
	// Emulated is set when the score comes from a variant that does not
	// represent the system (QEMU under TCG): the caveat, which every table
	// row showing the score must carry.
	Emulated string `json:"emulated,omitempty"`
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
	// interval, widened by what the published bounds in its profile allow
	// (rubric/3); nil when no axis was measured and none is a bound (a
	// curated row has no interval: it is a judgment, not a sample).
	FitnessLo *float64 `json:"fitness_ci_lo,omitempty"`
	FitnessHi *float64 `json:"fitness_ci_hi,omitempty"`
	// Rank is the row's place, best first; rows whose fitness cannot be
	// told apart at rubric.IntervalLevel share a rank and are Tied. A row of
	// Evaluation.Apart has rank 0: see WhatIfRank.
	Rank int  `json:"rank"`
	Tied bool `json:"tied,omitempty"`
	// RunsHere says whether the row, as scored, describes something that
	// runs on the evaluated host (Options.Host); nil when the host is not
	// known. A system that runs here only emulated (QEMU under TCG) counts
	// only when its figures come from that emulation: unmeasured, its
	// curated and published profile describes the system itself, which
	// cannot run here.
	RunsHere *bool `json:"runs_here,omitempty"`
	// Needs is what a system that cannot run here would need (a KVM that
	// runs ordinary guests, a binary, a public release), or, for one that
	// runs here only emulated, what it would need to run as itself.
	Needs []string `json:"needs,omitempty"`
	// WhatIfRank is the row's place among every system, those that cannot
	// run here included, each on the evidence it has (what if every system
	// could run here); 0 when the host is not known.
	WhatIfRank int `json:"what_if_rank,omitempty"`
	// Emulated is set when the system's figures here come from a variant
	// that does not represent it, or when it runs here only as one (QEMU
	// under TCG): the caveat, which every view of the row must carry.
	Emulated      string         `json:"emulated,omitempty"`
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
	// slackLo and slackHi are how far the published bounds in the
	// effective profile let the fitness fall and rise (0 without bounds).
	slackLo, slackHi float64
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

// Evaluation is the side-by-side view of a run, ranked by effective
// fitness (rows that tie share a rank: see assignRanks), for the host the
// run measured first when Options.Host says which systems run there.
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
	Interrupted bool `json:"interrupted,omitempty"`
	// Headline is the evaluation's first line, for every face: which
	// systems can run on the host and are ranked, and which are apart.
	Headline string `json:"headline"`
	// Rows are ranked best first: with a known host (Options.Host), only
	// the systems that can run on it, unless WhatIf.
	Rows []Row `json:"rows"`
	// HostFit is which systems can run on the evaluated host
	// (Options.Host); nil when it is not known (every system is then in
	// Rows).
	HostFit *HostFit `json:"host_fit,omitempty"`
	// WhatIf is set when Rows rank the systems that cannot run on the host
	// with those that can (Options.WhatIf); each row still says which.
	WhatIf bool `json:"what_if,omitempty"`
	// Apart are the systems that cannot run on the host, best first by
	// where they would stand on the evidence they have (Row.WhatIfRank),
	// each with what it would need (Row.Needs); empty when the host is not
	// known or WhatIf is set.
	Apart []Row `json:"apart,omitempty"`
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
	// Host is which systems can run on the host the evaluation is for
	// (HostFitFromResults, HostFitOf). With it the answer is for this host
	// first: Rows rank only the systems that can run on it, and Apart lists
	// the others with what they would need and where they would stand. nil:
	// the host is not known, and every system is ranked in Rows.
	Host *HostFit
	// WhatIf ranks the systems that cannot run on the host in Rows, with
	// those that can (each row still says which); it needs Host.
	WhatIf bool
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
		row := evaluateSystem(sys, mine, w, ev.Measured, opts.Rubric)
		if opts.Host != nil {
			fit := opts.Host.Of(sys)
			// A system that runs here only emulated runs here as scored
			// only when its figures come from that emulation: its curated
			// and published profile describes the system itself.
			runs := fit.Runnable && (fit.Emulated == "" || slices.Contains(fit.Variants, row.Primary))
			row.RunsHere = &runs
			row.Needs = fit.Needs
			if row.Emulated == "" && fit.Emulated != "" {
				row.Emulated = fit.Emulated
				if !runs {
					row.Emulated += "; nothing measured here describes that emulation, so the system's own profile stands apart"
				}
			}
		}
		rows = append(rows, row)
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
	var ranked []Row
	for _, p := range vms.RankProfiles(profiles, w) {
		for _, r := range rows {
			if r.System == p.System {
				ranked = append(ranked, r)
			}
		}
	}
	ranked = assignRanks(ranked)
	if opts.Host == nil {
		ev.Rows = ranked
		ev.Headline = ev.headline()
		return ev
	}
	ev.HostFit, ev.WhatIf = opts.Host, opts.WhatIf
	for i := range ranked {
		ranked[i].WhatIfRank = ranked[i].Rank
	}
	if opts.WhatIf {
		ev.Rows = ranked
		ev.Headline = ev.headline()
		return ev
	}
	ev.Rows = []Row{}
	for _, r := range ranked {
		if *r.RunsHere {
			ev.Rows = append(ev.Rows, r)
		} else {
			r.Rank, r.Tied = 0, false
			ev.Apart = append(ev.Apart, r)
		}
	}
	ev.Rows = assignRanks(ev.Rows)
	ev.Headline = ev.headline()
	return ev
}

// headline is the evaluation's first line.
func (ev Evaluation) headline() string {
	n := len(vms.All())
	if ev.HostFit == nil {
		return fmt.Sprintf("All %d systems are ranked: which of them can run on this host was not checked (give a results file, or fingerprint this host's drivers).", n)
	}
	var names []string
	for _, r := range ev.Rows {
		if r.RunsHere != nil && !*r.RunsHere {
			continue
		}
		name := r.System.Name()
		if r.Emulated != "" {
			name += " (only under TCG software emulation)"
		}
		names = append(names, name)
	}
	apart := n - len(names)
	if len(names) == 0 {
		return fmt.Sprintf("No system in the catalog can run on this host (%s)%s: all %d are %s with what each would need, on the evidence each has (what if they could run here).", ev.HostFit.Source, emulatedOnly(ev), n, orRanked(ev.WhatIf, "ranked", "listed apart"))
	}
	h := fmt.Sprintf("%d of %d systems can run on this host (%s) and are ranked: %s", len(names), n, ev.HostFit.Source, strings.Join(names, ", "))
	switch {
	case apart == 0:
		return h + "."
	case ev.WhatIf:
		h += fmt.Sprintf("; the %d that cannot are ranked with them (what if they could run here), each marked with what it would need", apart)
	default:
		h += fmt.Sprintf("; the %d that cannot are listed apart, with what each would need", apart)
	}
	if e := emulatedOnly(ev); e != "" {
		h += " (" + strings.TrimSuffix(strings.TrimPrefix(e, " as itself ("), ")") + ")"
	}
	return h + "."
}

// emulatedOnly is a clause naming the systems that run on the host only
// emulated and were not measured so: "" when there are none.
func emulatedOnly(ev Evaluation) string {
	var out []string
	for _, r := range slices.Concat(ev.Rows, ev.Apart) {
		if fit := ev.HostFit.Of(r.System); fit.Emulated != "" && r.RunsHere != nil && !*r.RunsHere {
			out = append(out, fit.Emulated)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return " as itself (" + strings.Join(out, "; ") + ", and nothing measured here describes that emulation)"
}

func orRanked(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
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
	row.Published = rubric.PublishedScoresWith(sys, ro)
	row.PublishedNone = vms.PublishedNone(sys)
	for _, p := range row.Published {
		c := cur.Score(p.Axis)
		// A bound disagrees only when the curated score lies outside its
		// interval, by the distance to the interval's nearer end.
		m := p.Score
		if p.Bound && p.Lo != nil && p.Hi != nil {
			m = math.Max(*p.Lo, math.Min(*p.Hi, c))
		}
		if d := m - c; math.Abs(d) >= rubric.DisagreementThreshold-1e-9 {
			row.Disagreements = append(row.Disagreements, Disagreement{
				Axis: p.Axis.Name(), Variant: "published", Curated: c, Measured: m,
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
				v.Lo, v.Hi, v.Bound = p.Lo, p.Hi, p.Bound
			}
		}
		if primary != nil {
			if s, ok := primary.Axis(ax); ok {
				v.Score, v.Provenance, v.Variant, v.Basis = s.Score, s.Provenance, primary.Variant, s.Basis
				v.Lo, v.Hi, v.Bound, v.Emulated = s.Lo, s.Hi, false, s.Emulated
			} else if nm, ok := primary.Unmeasured(ax); ok {
				v.NotMeasured = primary.Variant + ": " + nm.Reason
			}
		}
		row.Effective = row.Effective.WithScore(ax, v.Score)
		row.Axes = append(row.Axes, v)
	}
	row.Fitness = w.Fitness(row.Effective)
	if primary != nil {
		row.Emulated = primary.Emulated
	}
	row.slackLo, row.slackHi = boundSlack(row.Axes, w)
	switch {
	case primary != nil && len(primaryReps) > 0:
		row.fits = fitnessReplicates(row, primaryReps, w)
		lo, hi := rubric.Interval(row.fits)
		lo, hi = round3(lo+row.slackLo), round3(hi+row.slackHi)
		row.FitnessLo, row.FitnessHi = &lo, &hi
	case row.slackLo != 0 || row.slackHi != 0:
		lo, hi := round3(row.Fitness+row.slackLo), round3(row.Fitness+row.slackHi)
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
