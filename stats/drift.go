package stats

import (
	"fmt"

	"golang.org/x/perf/benchmath"
)

// Drift compares the first tenth of a loop's samples with its last tenth:
// a runtime that degrades (or leaks into its own latency) over many cycles
// shows it there. The test is Mann-Whitney's U (benchmath's AssumeNothing
// comparison): no assumption about the latency's distribution.
type Drift struct {
	// Series names what was timed ("first-result", "ready", "teardown").
	Series string `json:"series"`
	Unit   string `json:"unit"`
	N      int    `json:"n"` // samples in the loop
	// K is the size of each group: the first K and the last K samples.
	K int `json:"k"`
	// FirstMedian and LastMedian are the groups' medians, in Unit.
	FirstMedian float64 `json:"first_median"`
	LastMedian  float64 `json:"last_median"`
	// ChangePct is the last group's median over the first's, less one, in
	// percent: positive is slower at the end.
	ChangePct float64 `json:"change_pct"`
	// P is the U test's two-sided p-value; Alpha the level it is read at.
	P     float64 `json:"p"`
	Alpha float64 `json:"alpha"`
	// Verdict is one of the Drift* verdicts.
	Verdict  string   `json:"verdict"`
	Warnings []string `json:"warnings,omitempty"`
}

// The drift verdicts.
const (
	// DriftNone: no significant difference between the first and the last
	// tenth, or one smaller than DriftMinPct.
	DriftNone = "no drift"
	// DriftSlower: the last tenth is significantly and materially slower.
	DriftSlower = "slower at the end"
	// DriftFaster: the last tenth is significantly and materially faster
	// (warm-up: caches, a daemon's pools), which is not degradation.
	DriftFaster = "faster at the end"
	// DriftTooFew: too few samples for the test to say anything.
	DriftTooFew = "too few cycles"
)

// DriftMinPct is the smallest change of the median that counts as drift
// when the test finds it significant: a change below it is real but too
// small to matter to an agent's loop, and on a shared host can come from
// its neighbours.
const DriftMinPct = 5.0

// DriftMinGroup is the smallest group compared: with fewer than 5 samples
// on each side the U test cannot reach p < 0.01 whatever the data.
const DriftMinGroup = 5

// DriftMinCycles is the shortest loop the drift test reads: two groups of
// DriftMinGroup.
const DriftMinCycles = 2 * DriftMinGroup

// DriftWeakGroup is the group size under which the test sees only a gross
// drift: with fewer than 10 a side, p < 0.01 needs the two groups nearly
// separated, every late cycle slower than almost every early one.
const DriftWeakGroup = 10

// DriftGroup is the size of the first and last groups compared in a loop
// of n samples: a tenth of n, at least DriftMinGroup, and 0 (no test) when
// the two groups would overlap.
func DriftGroup(n int) int {
	k := max(n/10, DriftMinGroup)
	if 2*k > n {
		return 0
	}
	return k
}

// DriftOf tests values (in loop order, in unit) for drift between their
// first and last DriftGroup(len) samples.
func DriftOf(series string, values []float64, unit string) Drift {
	d := Drift{Series: series, Unit: unit, N: len(values), Alpha: benchmath.DefaultThresholds.CompareAlpha, P: 1}
	d.K = DriftGroup(len(values))
	if d.K == 0 {
		d.Verdict = DriftTooFew
		d.Warnings = append(d.Warnings, fmt.Sprintf("%d samples: too few cycles for a drift test, which needs at least %d (two groups of %d)", len(values), DriftMinCycles, DriftMinGroup))
		return d
	}
	first := benchmath.NewSample(append([]float64(nil), values[:d.K]...), &benchmath.DefaultThresholds)
	last := benchmath.NewSample(append([]float64(nil), values[len(values)-d.K:]...), &benchmath.DefaultThresholds)
	d.FirstMedian = benchmath.AssumeNothing.Summary(first, Confidence).Center
	d.LastMedian = benchmath.AssumeNothing.Summary(last, Confidence).Center
	if d.FirstMedian > 0 {
		d.ChangePct = (d.LastMedian/d.FirstMedian - 1) * 100
	}
	cmp := benchmath.AssumeNothing.Compare(first, last)
	d.P, d.Alpha = cmp.P, cmp.Alpha
	for _, w := range cmp.Warnings {
		d.Warnings = append(d.Warnings, w.Error())
	}
	switch {
	case d.P >= d.Alpha || (d.ChangePct < DriftMinPct && d.ChangePct > -DriftMinPct):
		d.Verdict = DriftNone
		if d.K < DriftWeakGroup {
			d.Warnings = append(d.Warnings, fmt.Sprintf("groups of %d: the test sees only a gross drift (the late cycles nearly all slower than the early ones); %d cycles or more (--churn, --churn-time) for a finer one", d.K, 10*DriftWeakGroup))
		}
	case d.ChangePct > 0:
		d.Verdict = DriftSlower
	default:
		d.Verdict = DriftFaster
	}
	return d
}

// String is "first-result: 30.1 → 31.0 ms (+3.0%), p=0.41 over 2×30: no drift".
func (d Drift) String() string {
	if d.K == 0 {
		return fmt.Sprintf("%s: %s (n=%d)", d.Series, d.Verdict, d.N)
	}
	return fmt.Sprintf("%s: %.4g → %.4g %s (%+.1f%%), p=%.3g over 2×%d of %d: %s",
		d.Series, d.FirstMedian, d.LastMedian, d.Unit, d.ChangePct, d.P, d.K, d.N, d.Verdict)
}
