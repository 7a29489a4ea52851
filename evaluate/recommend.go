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
	// Lo and Hi bound the score's interval (a measured score's bootstrap
	// interval, or what a published bound allows); nil without one.
	Lo *float64 `json:"ci_lo,omitempty"`
	Hi *float64 `json:"ci_hi,omitempty"`
	// Bound is set when the score comes from a published figure of a
	// different quantity: only [Lo, Hi] is a finding.
	Bound bool `json:"bound,omitempty"`
	// Emulated is the caveat of a score from a variant that does not
	// represent the system (QEMU under TCG).
	Emulated string `json:"emulated,omitempty"`
}

// Contender is one system in the ranking, or one apart from it.
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
	// From says what its fitness rests on (see Recommendation.From).
	From string `json:"from"`
	// RunsHere, Needs, WhatIfRank and Emulated are the row's (Row).
	RunsHere   *bool    `json:"runs_here,omitempty"`
	Needs      []string `json:"needs,omitempty"`
	WhatIfRank int      `json:"what_if_rank,omitempty"`
	Emulated   string   `json:"emulated,omitempty"`
}

// Recommendation is the system that best fits the evaluation's weights,
// with the reasons in sentences and the caveats that qualify them.
type Recommendation struct {
	// Headline is the first line: whether the system runs on this host (or
	// that this was not checked, or that no system does), where it ranks
	// and what its fitness rests on.
	Headline string     `json:"headline"`
	System   vms.System `json:"system"`
	Fitness  float64    `json:"fitness"`
	Measured bool       `json:"measured"` // whether any of its axes was measured
	// From says what the fitness rests on: "measured here", "partly
	// measured here (...)", "curated and published, nothing measured
	// here" or "curated only", with the emulation caveat when its figures
	// come from a variant that does not represent it.
	From string `json:"from"`
	// RunsHere says whether it can run on the evaluated host; nil when the
	// host is not known. Needs is what it would need to run here (or, when
	// it runs here only emulated, to run as itself).
	RunsHere *bool    `json:"runs_here,omitempty"`
	Needs    []string `json:"needs,omitempty"`
	// Emulated is set when its figures come from, or it runs here only as,
	// a variant that does not represent it (QEMU under TCG).
	Emulated  string            `json:"emulated,omitempty"`
	Weighting string            `json:"weighting"`
	Reasons   []string          `json:"reasons"`
	Axes      []RecommendedAxis `json:"axes"`
	// Strongest are the (at most two) axes carrying most of its fitness.
	Strongest     []RecommendedAxis `json:"strongest"`
	Disagreements []Disagreement    `json:"disagreements,omitempty"`
	Ranking       []Contender       `json:"ranking"` // every eligible system, best first
	// Apart are the systems that cannot run on the host, best first by
	// where they would stand (WhatIfRank), each with what it would need;
	// empty when the host is not known, with a what-if evaluation, or when
	// no system runs here (the Ranking is then the what-if one).
	Apart   []Contender `json:"apart,omitempty"`
	Caveats []string    `json:"caveats"`
	Rubric  string      `json:"rubric"`
	// Availability says whether the recommended system can be had.
	Availability vms.Availability `json:"availability"`
	// TiedWith names the eligible systems whose fitness cannot be told
	// apart from the recommended one's (the evaluation's ranks).
	TiedWith []vms.System `json:"tied_with,omitempty"`
	// Constraints is set when constraints were given.
	Constraints *ConstraintReport `json:"constraints,omitempty"`
}

// Recommend picks the best-ranked row of ev among the eligible ones (those
// passing every constraint, and measured here with RequireMeasured) and
// says why. With a known host (ev.HostFit) the eligible rows are the
// systems that can run on it (or, with ev.WhatIf, every system, each
// marked); when none can, the recommendation is the what-if one, among the
// systems apart, and its Headline says first that none runs here. Its
// error wraps ErrNothingMeasured when no row is measured, and
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
	// The candidates: the ranked rows; when no system runs on the host,
	// the systems apart, ranked where they would stand.
	candidates := ev.Rows
	fromApart := ev.HostFit != nil && len(ev.Rows) == 0
	if fromApart {
		candidates = whatIfRanked(ev.Apart)
	}
	nothingHere := ev.HostFit != nil && !slices.ContainsFunc(slices.Concat(ev.Rows, ev.Apart), runsHere)
	var eligible []Row
	var excluded []string
	var failed []Verdict
	passing := 0
	for _, r := range candidates {
		if v, ok := verdicts[r.System]; ok && v.Status != Pass {
			failed = append(failed, v)
			continue
		}
		passing++
		if opts.RequireMeasured {
			if why := whyNotMeasuredHere(r, ev.Weights); why != "" {
				excluded = append(excluded, why)
				continue
			}
		}
		eligible = append(eligible, r)
	}
	if len(eligible) == 0 && report != nil && passing == 0 {
		head := "No system passes every constraint: none is recommended."
		if ev.HostFit != nil && !fromApart {
			head = "No system that runs on this host (" + ev.HostFit.Source + ") passes every constraint: none is recommended."
		}
		return Recommendation{Headline: head, Weighting: label, Rubric: ev.Rubric, Constraints: report, Reasons: []string{}, Caveats: []string{}},
			fmt.Errorf("%w: %s", ErrNoSystemPasses, summarizeExcluded(failed))
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
		From: fromLabel(top, ev.Weights), RunsHere: top.RunsHere, Needs: top.Needs, Emulated: top.Emulated,
		Weighting: label, Disagreements: top.Disagreements, Rubric: ev.Rubric,
		Availability: vms.AvailabilityOf(top.System), Constraints: report,
	}
	for i, r := range eligible {
		out.Ranking = append(out.Ranking, contenderOf(r, ev.Weights))
		if i > 0 && r.Rank == top.Rank && r.Tied {
			out.TiedWith = append(out.TiedWith, r.System)
		}
	}
	if !fromApart {
		for _, r := range ev.Apart {
			out.Apart = append(out.Apart, contenderOf(r, ev.Weights))
		}
	}
	for i, av := range top.Axes {
		ax := vms.Axes()[i]
		ra := RecommendedAxis{
			Axis: av.Axis, Score: av.Score, Curated: av.Curated, Provenance: av.Provenance, Variant: av.Variant,
			Weight: round3(norm[ax]), Contribution: round3(norm[ax] * av.Score), Evidence: evidenceFor(top.Curated, ax),
			Lo: av.Lo, Hi: av.Hi, Bound: av.Bound, Emulated: av.Emulated,
		}
		if av.Provenance != rubric.Curated {
			ra.MeasuredBasis = av.Basis
		}
		out.Axes = append(out.Axes, ra)
	}
	out.Strongest = strongest(out.Axes, 2)

	// The set the recommended system ranks first in, in words.
	sc := scope{n: len(eligible), nothingHere: nothingHere}
	if ev.HostFit != nil && !ev.WhatIf && !fromApart {
		sc.clauses = append(sc.clauses, [2]string{"run here", "runs here"})
	}
	if len(failed) > 0 {
		sc.clauses = append(sc.clauses, [2]string{"pass every constraint", "passes every constraint"})
	}
	if len(excluded) > 0 {
		sc.clauses = append(sc.clauses, [2]string{"rest on figures measured here", "rests on figures measured here"})
	}
	for _, s := range out.TiedWith {
		sc.tiedWith = append(sc.tiedWith, s.Name())
	}
	out.Headline = recommendationHeadline(ev, top, out, sc, label)

	out.Reasons = reasons(out, eligible, leadOf(ev, top, sc, label, fromApart))
	out.Caveats = caveats(ev, top, eligible, excluded)
	if len(out.TiedWith) > 0 {
		tie := fmt.Sprintf("%s ties with %s: their fitness cannot be told apart at the rubric's interval level (they share rank %d), so the order between them is not a finding; decide on the axis you care about most", top.System, strings.Join(sc.tiedWith, ", "), top.Rank)
		out.Reasons = append([]string{tie + "."}, out.Reasons...)
	}
	if st := statusReason(ev, top); st != "" {
		out.Reasons = append([]string{st}, out.Reasons...)
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

func runsHere(r Row) bool { return r.RunsHere != nil && *r.RunsHere }

// whatIfRanked is the rows apart, ranked where they would stand among
// every system (Row.WhatIfRank): rows sharing a what-if rank tie.
func whatIfRanked(apart []Row) []Row {
	out := slices.Clone(apart)
	for i := range out {
		out[i].Rank, out[i].Tied = out[i].WhatIfRank, false
		for j := range apart {
			if j != i && apart[j].WhatIfRank == out[i].WhatIfRank {
				out[i].Tied = true
			}
		}
	}
	return out
}

func contenderOf(r Row, w vms.Weights) Contender {
	return Contender{
		System: r.System, Fitness: round3(r.Fitness), Measured: r.Primary != "",
		FitnessLo: r.FitnessLo, FitnessHi: r.FitnessHi, Rank: r.Rank, Tied: r.Tied,
		From: fromLabel(r, w), RunsHere: r.RunsHere, Needs: r.Needs, WhatIfRank: r.WhatIfRank, Emulated: r.Emulated,
	}
}

// notMeasuredHere lists the axes weighted under w whose score does not
// rest on figures measured here (measured, or the agent-control
// checklist), each as "<axis> <provenance>": declared, published and
// curated scores do not count.
func notMeasuredHere(r Row, w vms.Weights) []string {
	var out []string
	for i, a := range r.Axes {
		if i >= len(w) || w[i] <= 0 {
			continue
		}
		if a.Provenance == rubric.Measured || a.Provenance == rubric.Checklist {
			continue
		}
		out = append(out, a.Axis+" "+string(a.Provenance))
	}
	return out
}

// whyNotMeasuredHere says why r's fitness under w does not rest on
// figures measured here, prefixed with its system; "" when it does.
func whyNotMeasuredHere(r Row, w vms.Weights) string {
	if r.Primary == "" {
		return r.System.Name() + ": " + r.WhyNotMeasured()
	}
	if miss := notMeasuredHere(r, w); len(miss) > 0 {
		return r.System.Name() + ": " + strings.Join(miss, ", ") + ", not measured here"
	}
	return ""
}

// fromLabel says what r's fitness under w rests on, with the emulation
// caveat when any of its scores comes from a variant that does not
// represent the system.
func fromLabel(r Row, w vms.Weights) string {
	var s string
	switch {
	case r.Primary == "" && slices.ContainsFunc(r.Axes, func(a AxisValue) bool { return a.Provenance == rubric.Published }):
		s = "curated and published, nothing measured here"
	case r.Primary == "":
		s = "curated only"
	default:
		if miss := notMeasuredHere(r, w); len(miss) > 0 {
			s = "partly measured here (" + strings.Join(miss, ", ") + ")"
		} else {
			s = "measured here"
		}
	}
	if note := emulationNote(r); note != "" {
		s += ", " + note
	}
	return s
}

// emulationNote is the caveat carried by r's scores from a variant that
// does not represent the system, or "".
func emulationNote(r Row) string {
	for _, a := range r.Axes {
		if a.Emulated != "" {
			return a.Emulated
		}
	}
	return ""
}

// scope is the set the recommended system ranks first in: n systems, each
// clause a relative clause in plural and singular ("run here", "runs
// here").
type scope struct {
	n           int
	clauses     [][2]string
	tiedWith    []string
	nothingHere bool
}

// systems is "the 3 systems that run here and pass every constraint", or
// in the singular "the only system that runs here".
func (s scope) systems() string {
	var cl []string
	for _, c := range s.clauses {
		if s.n == 1 {
			cl = append(cl, c[1])
		} else {
			cl = append(cl, c[0])
		}
	}
	rel := ""
	if len(cl) > 0 {
		rel = " that " + strings.Join(cl, " and ")
	}
	if s.n == 1 {
		return "the only system" + rel
	}
	return fmt.Sprintf("the %d systems%s", s.n, rel)
}

// rank is subject's place in the scope: "it ranks first of ...", "it
// shares first place with X among ...", "it is the only system ...";
// would puts it in the conditional.
func (s scope) rank(subject string, would bool) string {
	switch {
	case s.n == 1 && would:
		return subject + " would be " + s.systems()
	case s.n == 1:
		return subject + " is " + s.systems()
	case len(s.tiedWith) > 0 && would:
		return fmt.Sprintf("%s would share first place with %s among %s", subject, strings.Join(s.tiedWith, ", "), s.systems())
	case len(s.tiedWith) > 0:
		return fmt.Sprintf("%s shares first place with %s among %s", subject, strings.Join(s.tiedWith, ", "), s.systems())
	case would:
		return subject + " would rank first of " + s.systems()
	default:
		return subject + " ranks first of " + s.systems()
	}
}

// fitnessText is "fitness 0.74", with its interval when it has one.
func fitnessText(r Row) string {
	s := fmt.Sprintf("fitness %.2f", r.Fitness)
	if r.FitnessLo != nil && r.FitnessHi != nil {
		s += fmt.Sprintf(" [%.2f, %.2f]", *r.FitnessLo, *r.FitnessHi)
	}
	return s
}

func needsText(needs []string) string {
	if len(needs) == 0 {
		return "nothing recorded (the host's fingerprints do not say)"
	}
	return strings.Join(needs, "; ")
}

// recommendationHeadline is the recommendation's first line: for a known
// host, whether the system runs here comes first.
func recommendationHeadline(ev Evaluation, top Row, out Recommendation, sc scope, label string) string {
	fit := fitnessText(top) + " (" + out.From + ")"
	if ev.HostFit == nil {
		h := fmt.Sprintf("Recommended: %s, %s under %s; whether it can run on this host was not checked.", top.System, fit, label)
		if len(sc.tiedWith) > 0 {
			h += fmt.Sprintf(" It shares first place with %s.", strings.Join(sc.tiedWith, ", "))
		}
		return h
	}
	src := ev.HostFit.Source
	if sc.nothingHere {
		return fmt.Sprintf("No system in the catalog can run on this host (%s)%s; if one could, %s under %s, %s, and it would need: %s.",
			src, emulatedOnly(ev), sc.rank(top.System.Name(), true), label, fit, needsText(top.Needs))
	}
	whatIf := ""
	if ev.WhatIf {
		whatIf = "with the systems that cannot run here ranked too (what if), "
	}
	if runsHere(top) {
		runs := "which runs here"
		if top.Emulated != "" {
			runs = fmt.Sprintf("which runs here only as %s under TCG software emulation, not as %s itself", emulatedVariants(ev, top), top.System)
		}
		return fmt.Sprintf("Recommended for this host: %s, %s (%s); %s%s, under %s, %s.", top.System, runs, src, whatIf, sc.rank("it", false), label, fit)
	}
	h := fmt.Sprintf("Recommended only if it could run here: %s cannot run on this host (%s) and would need: %s; %s%s, under %s, %s.",
		top.System, src, needsText(top.Needs), whatIf, sc.rank("it", false), label, fit)
	for _, r := range ev.Rows {
		if runsHere(r) {
			h += fmt.Sprintf(" Of the systems that run here, %s stands highest (rank %d, %s).", r.System, r.Rank, fitnessText(r))
			break
		}
	}
	return h
}

// emulatedVariants names the variants through which top runs here.
func emulatedVariants(ev Evaluation, top Row) string {
	if top.Primary != "" {
		return top.Primary
	}
	if vs := ev.HostFit.Of(top.System).Variants; len(vs) > 0 {
		return strings.Join(vs, ", ")
	}
	return "an emulated variant"
}

// statusReason is the first reason when the recommended system's standing
// on the host qualifies everything after it: its figures come from an
// emulated variant, or it cannot run here. "" otherwise (a system that
// runs here as itself says so in the lead).
func statusReason(ev Evaluation, top Row) string {
	switch {
	case top.Primary != "" && top.Emulated != "":
		s := fmt.Sprintf("%s's figures here come from %s: %s", top.System, top.Primary, top.Emulated)
		if ev.HostFit != nil && runsHere(top) {
			s += fmt.Sprintf("; it runs here only as %s under TCG software emulation, and to run as %s itself it would need: %s", top.Primary, top.System, needsText(top.Needs))
		}
		return s + "."
	case ev.HostFit != nil && !runsHere(top):
		why := ev.HostFit.Of(top.System).Why
		if top.Emulated != "" {
			why = top.Emulated
		}
		s := fmt.Sprintf("%s cannot run on this host (%s)", top.System, ev.HostFit.Source)
		if why != "" {
			s += ": " + why
		}
		return s + fmt.Sprintf("; it would need: %s. Its place is where it would stand if it could (what if), on the evidence it has.", needsText(top.Needs))
	}
	return ""
}

// leadOf opens the lead reason: the system, whether it runs here, and the
// set it ranks first in.
func leadOf(ev Evaluation, top Row, sc scope, label string, fromApart bool) string {
	first := "ranks first of " + sc.systems()
	if sc.n == 1 {
		first = "is " + sc.systems()
	}
	switch {
	case ev.HostFit == nil:
		return fmt.Sprintf("%s ranks first of %d under %s", top.System, sc.n, label)
	case sc.nothingHere || fromApart:
		return fmt.Sprintf("No system runs here; if they could, %s would rank first of %d under %s", top.System, sc.n, label)
	case ev.WhatIf && runsHere(top):
		return fmt.Sprintf("With the systems that cannot run here ranked too (what if), %s, which runs here, %s under %s", top.System, first, label)
	case ev.WhatIf:
		return fmt.Sprintf("With the systems that cannot run here ranked too (what if), %s %s under %s", top.System, first, label)
	case sc.n == 1:
		return fmt.Sprintf("%s %s%s under %s", top.System, first, onlyAs(ev, top), label)
	default:
		return fmt.Sprintf("%s runs here%s and %s under %s", top.System, onlyAs(ev, top), first, label)
	}
}

// onlyAs is " (only as qemu-kvm/tcg, under TCG software emulation)" for a
// system that runs here only emulated, else "".
func onlyAs(ev Evaluation, top Row) string {
	if top.Emulated == "" {
		return ""
	}
	return " (only as " + emulatedVariants(ev, top) + ", under TCG software emulation)"
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

func reasons(out Recommendation, eligible []Row, lead string) []string {
	top := eligible[0]
	lead += fmt.Sprintf(" with %s", fitnessText(top))
	if len(eligible) > 1 {
		ru := eligible[1]
		lead += fmt.Sprintf(", %.2f ahead of %s (%.2f)", top.Fitness-ru.Fitness, ru.System, ru.Fitness)
	}
	rs := []string{lead + "."}
	var strong []string
	for _, s := range out.Strongest {
		strong = append(strong, fmt.Sprintf("%s %.2f (%s, weight %.0f%%)", s.Axis, s.Score, axisSource(s), s.Weight*100))
	}
	if len(strong) > 0 {
		rs = append(rs, "Its fitness rests most on "+strings.Join(strong, " and ")+".")
	}
	for _, s := range out.Strongest {
		r := fmt.Sprintf("%s, curated evidence: %s", s.Axis, s.Evidence)
		if s.MeasuredBasis != "" {
			basis := s.MeasuredBasis
			if s.Emulated != "" && !strings.Contains(basis, s.Emulated) {
				basis += " (" + s.Emulated + ")"
			}
			if s.Provenance == rubric.Published {
				r += "; the makers' published figure: " + basis
			} else {
				r += fmt.Sprintf("; %s on this host: %s", s.Provenance, basis)
			}
		}
		if s.Bound && s.Lo != nil && s.Hi != nil {
			r += fmt.Sprintf("; a bound of another quantity, so only its interval [%.2f, %.2f] is a finding", *s.Lo, *s.Hi)
		}
		rs = append(rs, r+".")
	}
	if weak := weakest(out.Axes); weak != nil && !slices.ContainsFunc(out.Strongest, func(a RecommendedAxis) bool { return a.Axis == weak.Axis }) {
		rs = append(rs, fmt.Sprintf("Its lowest score among the weighted axes is %s at %.2f (%s): %s.", weak.Axis, weak.Score, axisSource(*weak), weak.Evidence))
	}
	return rs
}

// axisSource is an axis's provenance in words: a published bound with its
// interval, an emulated figure with its caveat.
func axisSource(a RecommendedAxis) string {
	s := string(a.Provenance)
	if a.Bound && a.Lo != nil && a.Hi != nil {
		s += fmt.Sprintf(" bound, interval [%.2f, %.2f]", *a.Lo, *a.Hi)
	}
	if a.Emulated != "" {
		s += ", " + a.Emulated
	}
	return s
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
	switch {
	case top.Primary != "" && top.Emulated != "":
		cs = append(cs, fmt.Sprintf("%s's figures come from %s: %s", top.System, top.Primary, top.Emulated))
	case top.Emulated != "":
		cs = append(cs, top.Emulated)
	}
	switch {
	case ev.HostFit == nil:
		cs = append(cs, fmt.Sprintf("whether %s can run on this host was not checked: give a results file of this host, or fingerprint its drivers", top.System))
	case !runsHere(top):
		cs = append(cs, fmt.Sprintf("%s cannot run on this host (%s); it would need: %s", top.System, ev.HostFit.Source, needsText(top.Needs)))
	}
	var bounds []string
	for _, a := range top.Axes {
		if a.Bound && ev.Weights[slices.IndexFunc(vms.Axes(), func(x vms.Axis) bool { return x.Name() == a.Axis })] > 0 {
			bounds = append(bounds, a.Axis)
		}
	}
	if len(bounds) > 0 && top.FitnessLo != nil && top.FitnessHi != nil {
		cs = append(cs, fmt.Sprintf("%s's %s rest(s) on published bounds of other quantities: only its fitness interval [%.2f, %.2f] is a finding, and a system whose interval overlaps it ties with it", top.System, strings.Join(bounds, ", "), *top.FitnessLo, *top.FitnessHi))
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
