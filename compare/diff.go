package compare

import (
	"fmt"
	"math"
	"sort"

	"golang.org/x/perf/benchmath"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
)

// Rule decides when a change is a regression: significant at Alpha and
// larger than Threshold (a fraction of the base median).
type Rule struct {
	Alpha     float64 `json:"alpha"`
	Threshold float64 `json:"threshold"`
}

// FirecrackerRule is Firecracker's A/B rule: p < 0.01 and a change of more
// than 20%.
var FirecrackerRule = Rule{Alpha: 0.01, Threshold: 0.20}

// Validate reports a rule out of range, saying what is valid.
func (r Rule) Validate() error {
	switch {
	case r.Alpha <= 0 || r.Alpha >= 1:
		return fmt.Errorf("alpha %v out of range: want a p-value threshold above 0 and below 1, e.g. 0.01", r.Alpha)
	case r.Threshold < 0 || r.Threshold > 10:
		return fmt.Errorf("threshold %v out of range: want a fraction of the base median from 0 to 10, e.g. 0.2 for 20%%", r.Threshold)
	}
	return nil
}

// Verdict is what a row's change amounts to under the rule.
type Verdict string

const (
	Regression  Verdict = "regression"
	Improvement Verdict = "improvement"
	// NoChange: not significant, or significant but within the threshold.
	NoChange Verdict = "no change"
	// TooFew: the samples are too few for the test to reach Alpha at all,
	// whatever the change: neither a pass nor a regression.
	TooFew Verdict = "too few samples"
	// OnlyBase and OnlyNew: the figure is on one side only.
	OnlyBase Verdict = "only in base"
	OnlyNew  Verdict = "only in new"
)

// Row is one figure of one variant in both runs.
type Row struct {
	Variant    string  `json:"variant"`
	Figure     string  `json:"figure"`
	Unit       string  `json:"unit"`
	BaseMedian float64 `json:"base_median,omitempty"`
	NewMedian  float64 `json:"new_median,omitempty"`
	BaseN      int     `json:"base_n"`
	NewN       int     `json:"new_n"`
	// Change is (new - base) / base; positive is slower or larger.
	Change  float64  `json:"change"`
	P       float64  `json:"p"`
	Verdict Verdict  `json:"verdict"`
	Notes   []string `json:"notes,omitempty"`
}

// Report is a whole diff.
type Report struct {
	Base     string   `json:"base_run"`
	New      string   `json:"new_run"`
	Rule     Rule     `json:"rule"`
	Rows     []Row    `json:"rows"`
	Warnings []string `json:"warnings,omitempty"`
}

// Regressions counts the rows whose verdict is Regression.
func (r Report) Regressions() int {
	n := 0
	for _, row := range r.Rows {
		if row.Verdict == Regression {
			n++
		}
	}
	return n
}

// Diff compares every figure of every variant measured in either run.
func Diff(base, next *results.Results, rule Rule) (Report, error) {
	if err := rule.Validate(); err != nil {
		return Report{}, err
	}
	rep := Report{Base: base.RunID, New: next.RunID, Rule: rule, Warnings: hostWarnings(base, next)}
	bm, nm := figureMap(base), figureMap(next)
	variants := map[string]bool{}
	for v := range bm {
		variants[v] = true
	}
	for v := range nm {
		variants[v] = true
	}
	names := make([]string, 0, len(variants))
	for v := range variants {
		names = append(names, v)
	}
	sort.Strings(names)
	for _, v := range names {
		figs := map[string]bool{}
		for f := range bm[v] {
			figs[f] = true
		}
		for f := range nm[v] {
			figs[f] = true
		}
		fnames := make([]string, 0, len(figs))
		for f := range figs {
			fnames = append(fnames, f)
		}
		sort.Strings(fnames)
		for _, f := range fnames {
			b, inBase := bm[v][f]
			n, inNew := nm[v][f]
			rep.Rows = append(rep.Rows, compareFigure(v, f, b, inBase, n, inNew, rule))
		}
	}
	return rep, nil
}

// thresholds carries the rule's alpha into benchmath.
func thresholds(alpha float64) *benchmath.Thresholds {
	t := benchmath.DefaultThresholds
	t.CompareAlpha = alpha
	return &t
}

func compareFigure(variant, name string, b Figure, inBase bool, n Figure, inNew bool, rule Rule) Row {
	row := Row{Variant: variant, Figure: name}
	th := thresholds(rule.Alpha)
	var bs, ns *benchmath.Sample
	if inBase {
		row.Unit, row.BaseN = b.Unit, len(b.Values)
		bs = benchmath.NewSample(b.Values, th)
		row.BaseMedian = benchmath.AssumeNothing.Summary(bs, stats.Confidence).Center
	}
	if inNew {
		row.Unit, row.NewN = n.Unit, len(n.Values)
		ns = benchmath.NewSample(n.Values, th)
		row.NewMedian = benchmath.AssumeNothing.Summary(ns, stats.Confidence).Center
	}
	switch {
	case !inNew:
		row.Verdict = OnlyBase
		return row
	case !inBase:
		row.Verdict = OnlyNew
		return row
	case b.Unit != n.Unit:
		row.Verdict = TooFew
		row.Notes = append(row.Notes, fmt.Sprintf("units differ: %s in base, %s in new", b.Unit, n.Unit))
		return row
	}
	if row.BaseMedian != 0 {
		row.Change = (row.NewMedian - row.BaseMedian) / row.BaseMedian
	}
	cmp := benchmath.AssumeNothing.Compare(bs, ns)
	row.P = cmp.P
	for _, w := range cmp.Warnings {
		row.Notes = append(row.Notes, w.Error())
	}
	switch {
	case cmp.P >= rule.Alpha && len(cmp.Warnings) > 0:
		// The test could not have reached alpha with these samples.
		row.Verdict = TooFew
	case cmp.P >= rule.Alpha || math.Abs(row.Change) <= rule.Threshold:
		row.Verdict = NoChange
	case row.Change > 0:
		row.Verdict = Regression
	default:
		row.Verdict = Improvement
	}
	return row
}

// hostWarnings says where the two runs' hosts or settings differ, since a
// change may then be the host's.
func hostWarnings(base, next *results.Results) []string {
	var w []string
	bh, nh := base.Host, next.Host
	diff := func(what, a, b string) {
		if a != b {
			w = append(w, fmt.Sprintf("%s differs: %q in base, %q in new", what, a, b))
		}
	}
	diff("host CPU", bh.CPUModel, nh.CPUModel)
	diff("host cores", fmt.Sprint(bh.UsableCores), fmt.Sprint(nh.UsableCores))
	diff("host kernel", bh.KernelRelease, nh.KernelRelease)
	diff("host memory", fmt.Sprint(bh.MemTotalBytes), fmt.Sprint(nh.MemTotalBytes))
	diff("tool version", base.Tool.Version, next.Tool.Version)
	if base.Interrupted {
		w = append(w, "the base run was interrupted: some figures may be missing")
	}
	if next.Interrupted {
		w = append(w, "the new run was interrupted: some figures may be missing")
	}
	return w
}
