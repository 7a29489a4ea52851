package evaluate

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/agentic-eval/agentic-eval/rubric"
	"github.com/agentic-eval/agentic-eval/vms"
)

// ErrNothingMeasured is returned by Recommend when only measured systems
// may be recommended and none was measured.
var ErrNothingMeasured = errors.New("no system was measured")

// ErrNoSystemPasses is returned by Recommend when constraints were given and
// no system passes all of them; the Recommendation returned beside it
// carries the verdicts (which limit each system fails or leaves untested).
var ErrNoSystemPasses = errors.New("no system passes every constraint")

// RecommendOptions tune a recommendation.
type RecommendOptions struct {
	// RequireMeasured leaves out every system without a measured axis.
	RequireMeasured bool
	// Weighting names the evaluation's weights in words for the reasons,
	// e.g. "preset untrusted-code (...)"; "" writes the weights out.
	Weighting string
	// Constraints are hard limits: only systems passing every one are
	// eligible (see CheckConstraints); Facts is what they are tested on.
	Constraints Constraints
	Facts       Facts
}

// ConstraintReport is how the systems stood against the constraints.
type ConstraintReport struct {
	Limits Constraints `json:"limits"`
	// Passing names the systems that pass every constraint, best first.
	Passing []vms.System `json:"passing"`
	// Excluded are the others, best first, each with the checks it failed
	// or left untested, and the figure and provenance of each.
	Excluded []Verdict `json:"excluded,omitempty"`
}

// RecommendedAxis is one axis of the recommended system.
type RecommendedAxis struct {
	Axis          string            `json:"axis"`
	Score         float64           `json:"score"`
	Curated       float64           `json:"curated"`
	Provenance    rubric.Provenance `json:"provenance"`
	Variant       string            `json:"variant,omitempty"`
	Weight        float64           `json:"weight"`       // the axis's share of the weighting, 0 to 1
	Contribution  float64           `json:"contribution"` // weight times score
	Evidence      string            `json:"evidence"`     // the curated evidence line
	MeasuredBasis string            `json:"measured_basis,omitempty"`
}

// Contender is one eligible system in the ranking.
type Contender struct {
	System   vms.System `json:"system"`
	Fitness  float64    `json:"fitness"`
	Measured bool       `json:"measured"`
	// FitnessLo and FitnessHi bound the fitness's bootstrap interval (nil
	// for a curated row); Rank is the evaluation's, shared by rows that tie.
	FitnessLo *float64 `json:"fitness_ci_lo,omitempty"`
	FitnessHi *float64 `json:"fitness_ci_hi,omitempty"`
	Rank      int      `json:"rank"`
	Tied      bool     `json:"tied,omitempty"`
}

// Recommendation is the system that best fits the evaluation's weights,
// with the reasons in sentences and the caveats that qualify them.
type Recommendation struct {
	System    vms.System        `json:"system"`
	Fitness   float64           `json:"fitness"`
	Measured  bool              `json:"measured"` // whether any of its axes was measured
	Weighting string            `json:"weighting"`
	Reasons   []string          `json:"reasons"`
	Axes      []RecommendedAxis `json:"axes"`
	// Strongest are the (at most two) axes carrying most of its fitness.
	Strongest     []RecommendedAxis `json:"strongest"`
	Disagreements []Disagreement    `json:"disagreements,omitempty"`
	Ranking       []Contender       `json:"ranking"` // every eligible system, best first
	Caveats       []string          `json:"caveats"`
	Rubric        string            `json:"rubric"`
	// Availability says whether the recommended system can be had.
	Availability vms.Availability `json:"availability"`
	// TiedWith names the eligible systems whose fitness cannot be told
	// apart from the recommended one's (the evaluation's ranks).
	TiedWith []vms.System `json:"tied_with,omitempty"`
	// Constraints is set when constraints were given.
	Constraints *ConstraintReport `json:"constraints,omitempty"`
}

// Recommend picks the best-ranked row of ev among the eligible ones (those
// passing every constraint, and measured with RequireMeasured) and says
// why. Its error wraps ErrNothingMeasured when no row is measured, and
// ErrNoSystemPasses when no row passes the constraints (the Recommendation
// then carries the verdicts, and no system).
func Recommend(ev Evaluation, opts RecommendOptions) (Recommendation, error) {
	label := opts.Weighting
	if label == "" {
		label = "weights " + ev.Weights.String()
	}
	if err := opts.Constraints.Validate(); err != nil {
		return Recommendation{}, err
	}
	var report *ConstraintReport
	var verdicts map[vms.System]Verdict
	if opts.Constraints.Any() {
		report = &ConstraintReport{Limits: opts.Constraints, Passing: []vms.System{}}
		verdicts = map[vms.System]Verdict{}
		for _, v := range CheckConstraints(ev, opts.Constraints, opts.Facts) {
			verdicts[v.System] = v
			if v.Status == Pass {
				report.Passing = append(report.Passing, v.System)
			} else {
				report.Excluded = append(report.Excluded, v)
			}
		}
	}
	var eligible []Row
	var excluded []string
	for _, r := range ev.Rows {
		if v, ok := verdicts[r.System]; ok && v.Status != Pass {
			continue
		}
		if opts.RequireMeasured && r.Primary == "" {
			excluded = append(excluded, r.System.Name()+": "+r.WhyNotMeasured())
			continue
		}
		eligible = append(eligible, r)
	}
	if len(eligible) == 0 && report != nil && len(report.Passing) == 0 {
		return Recommendation{Weighting: label, Rubric: ev.Rubric, Constraints: report, Reasons: []string{}, Caveats: []string{}},
			fmt.Errorf("%w: %s", ErrNoSystemPasses, summarizeExcluded(report.Excluded))
	}
	if len(eligible) == 0 {
		if !ev.Measured {
			return Recommendation{}, fmt.Errorf("%w: no results were evaluated", ErrNothingMeasured)
		}
		return Recommendation{}, fmt.Errorf("%w in run %s (%s)", ErrNothingMeasured, ev.RunID, strings.Join(excluded, "; "))
	}
	top := eligible[0]
	norm := ev.Weights.Normalized()
	out := Recommendation{
		System: top.System, Fitness: round3(top.Fitness), Measured: top.Primary != "",
		Weighting: label, Disagreements: top.Disagreements, Rubric: ev.Rubric,
		Availability: vms.AvailabilityOf(top.System), Constraints: report,
	}
	for i, r := range eligible {
		out.Ranking = append(out.Ranking, Contender{
			System: r.System, Fitness: round3(r.Fitness), Measured: r.Primary != "",
			FitnessLo: r.FitnessLo, FitnessHi: r.FitnessHi, Rank: r.Rank, Tied: r.Tied,
		})
		if i > 0 && r.Rank == top.Rank && r.Tied {
			out.TiedWith = append(out.TiedWith, r.System)
		}
	}
	for i, av := range top.Axes {
		ax := vms.Axes()[i]
		ra := RecommendedAxis{
			Axis: av.Axis, Score: av.Score, Curated: av.Curated, Provenance: av.Provenance, Variant: av.Variant,
			Weight: round3(norm[ax]), Contribution: round3(norm[ax] * av.Score), Evidence: evidenceFor(top.Curated, ax),
		}
		if av.Provenance != rubric.Curated {
			ra.MeasuredBasis = av.Basis
		}
		out.Axes = append(out.Axes, ra)
	}
	out.Strongest = strongest(out.Axes, 2)
	out.Reasons = reasons(out, eligible, label)
	out.Caveats = caveats(ev, top, eligible, excluded)
	if len(out.TiedWith) > 0 {
		var names []string
		for _, s := range out.TiedWith {
			names = append(names, s.Name())
		}
		tie := fmt.Sprintf("%s ties with %s: their fitness cannot be told apart at the rubric's interval level (they share rank %d), so the order between them is not a finding; decide on the axis you care about most", top.System, strings.Join(names, ", "), top.Rank)
		out.Reasons = append([]string{tie + "."}, out.Reasons...)
	}
	if report != nil {
		out.Reasons = append(out.Reasons, constraintReason(report, top.System))
	}
	if !out.Availability.Obtainable {
		// Said first: a system nobody can install is no answer by itself.
		warn := fmt.Sprintf("%s cannot be had: %s (source: %s); require obtainable to recommend only systems with a public release", top.System, out.Availability.Release, out.Availability.Source)
		out.Reasons = append([]string{warn + "."}, out.Reasons...)
		out.Caveats = append([]string{warn}, out.Caveats...)
	}
	return out, nil
}

// constraintReason says which constraints the recommended system passed and
// how many systems were left out.
func constraintReason(r *ConstraintReport, top vms.System) string {
	s := fmt.Sprintf("%s passes every constraint; %d of %d systems do", top, len(r.Passing), len(r.Passing)+len(r.Excluded))
	if len(r.Excluded) > 0 {
		var out []string
		for _, v := range r.Excluded {
			out = append(out, fmt.Sprintf("%s (%s)", v.System, v.Status))
		}
		s += "; left out: " + strings.Join(out, ", ") + " (the constraints say which limit, the figure and its provenance)"
	}
	return s + "."
}

// summarizeExcluded names each excluded system with its first failing or
// untested check.
func summarizeExcluded(vs []Verdict) string {
	var parts []string
	for _, v := range vs {
		f := v.Failing()
		if len(f) == 0 {
			continue
		}
		c := f[0]
		part := fmt.Sprintf("%s %s %s (%s: %s)", v.System, c.Status, c.Constraint, c.Provenance, c.Figure)
		if len(f) > 1 {
			part += fmt.Sprintf(" and %d more", len(f)-1)
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}

func reasons(out Recommendation, eligible []Row, label string) []string {
	top := eligible[0]
	lead := fmt.Sprintf("%s ranks first of %d under %s with fitness %.2f", top.System, len(eligible), label, top.Fitness)
	if len(eligible) > 1 {
		ru := eligible[1]
		lead += fmt.Sprintf(", %.2f ahead of %s (%.2f)", top.Fitness-ru.Fitness, ru.System, ru.Fitness)
	}
	rs := []string{lead + "."}
	var strong []string
	for _, s := range out.Strongest {
		strong = append(strong, fmt.Sprintf("%s %.2f (%s, weight %.0f%%)", s.Axis, s.Score, s.Provenance, s.Weight*100))
	}
	if len(strong) > 0 {
		rs = append(rs, "Its fitness rests most on "+strings.Join(strong, " and ")+".")
	}
	for _, s := range out.Strongest {
		r := fmt.Sprintf("%s, curated evidence: %s", s.Axis, s.Evidence)
		if s.MeasuredBasis != "" {
			r += fmt.Sprintf("; %s on this host: %s", s.Provenance, s.MeasuredBasis)
		}
		rs = append(rs, r+".")
	}
	if weak := weakest(out.Axes); weak != nil && !slices.ContainsFunc(out.Strongest, func(a RecommendedAxis) bool { return a.Axis == weak.Axis }) {
		rs = append(rs, fmt.Sprintf("Its lowest score among the weighted axes is %s at %.2f (%s): %s.", weak.Axis, weak.Score, weak.Provenance, weak.Evidence))
	}
	return rs
}

func caveats(ev Evaluation, top Row, eligible []Row, excluded []string) []string {
	cs := []string{}
	if !ev.Measured {
		cs = append(cs, "nothing was measured: every score is the curated catalog's judgment; measure the target host with agentic-eval vms measure and evaluate its results file")
	} else {
		if top.Primary == "" {
			cs = append(cs, fmt.Sprintf("%s was not measured in this run (%s): its scores are curated judgments", top.System, top.WhyNotMeasured()))
		}
		if ev.Interrupted {
			cs = append(cs, "the run was interrupted: figures cover only what was measured before")
		}
		for _, w := range ev.Warnings {
			if top.Primary != "" && w.Variant == top.Primary {
				cs = append(cs, w.String())
			}
		}
	}
	if len(eligible) > 1 && top.Fitness-eligible[1].Fitness < 0.02 {
		cs = append(cs, fmt.Sprintf("%s is within %.2f of %s: treat them as tied for this workload and decide on the axis you care about most", eligible[1].System, top.Fitness-eligible[1].Fitness, top.System))
	}
	if len(top.Disagreements) > 0 {
		cs = append(cs, fmt.Sprintf("measurements disagree with the catalog on %d axis score(s) of %s: see disagreements", len(top.Disagreements), top.System))
	}
	if len(excluded) > 0 {
		cs = append(cs, "left out as not measured: "+strings.Join(excluded, "; "))
	}
	return cs
}

// strongest returns the n axes with the largest contribution, weight zero
// left out, in descending order (axis order on ties).
func strongest(axes []RecommendedAxis, n int) []RecommendedAxis {
	var c []RecommendedAxis
	for _, a := range axes {
		if a.Weight > 0 {
			c = append(c, a)
		}
	}
	sort.SliceStable(c, func(i, j int) bool { return c[i].Contribution > c[j].Contribution })
	if len(c) > n {
		c = c[:n]
	}
	return c
}

// weakest returns the lowest-scored axis among those weighted, or nil.
func weakest(axes []RecommendedAxis) *RecommendedAxis {
	var w *RecommendedAxis
	for i := range axes {
		if axes[i].Weight > 0 && (w == nil || axes[i].Score < w.Score) {
			w = &axes[i]
		}
	}
	return w
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
