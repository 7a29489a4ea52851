package stats

import (
	"fmt"
	"math"
	"sort"
	"time"

	"golang.org/x/perf/benchmath"
)

// Sampling is how many samples a repeated measurement takes: at least Min,
// at most a ceiling, and between the two it stops as soon as the median's
// confidence interval is within ±Precision of the median. The ceiling is
// not a fixed count: it is what Budget buys at the cost per sample observed
// so far (a 10 ms runc start gets hundreds, a 3 s QEMU boot its floor),
// never more than the hard maximum Max; past twice the budget in wall
// time nothing more is started either. The floor is never cut short by
// the budget: fewer samples than Min would not support the interval the
// run reports. Every stop records its reason (Stop), so that a reader
// knows whether n was enough or only all there was time for.
//
// Stopping on a tight interval is what hyperfine-like tools do; it costs a
// little coverage (an interval checked after every sample is tight a little
// more often by chance than one fixed in advance), which the floor keeps
// small. A measurement whose interval, narrowing as 1/√n, would need more
// than twice what the budget buys stops early as out of reach (from n = 12
// or twice the floor: the projection is rough, and a burst of the host's
// noise early on looks hopeless, hence the margin), and one
// whose samples fall into two clusters says so: the median of a bimodal
// sample is fragile, and the honest report is the two modes, not a
// tighter interval.
type Sampling struct {
	Min int
	// Max is the hard maximum on n, whatever the budget would buy.
	Max       int
	Precision float64       // relative half-width of the median's CI; 0 never stops early
	Budget    time.Duration // the wall time whose cost per sample sets the ceiling; 0 is none (Max is the ceiling)
}

// Stop reasons.
const (
	StopPrecision   = "precision"    // the interval was within ±Precision
	StopMax         = "max"          // the hard maximum on n was reached
	StopBudget      = "budget"       // the ceiling the budget buys was reached
	StopOutOfReach  = "out-of-reach" // the precision would take more than twice what the budget buys
	StopFailures    = "failures"     // the runtime failed too often in a row
	StopInterrupted = "interrupted"  // the run was stopped
)

// Stop says why a repeated measurement took the samples it did.
type Stop struct {
	Reason string `json:"reason"`
	// HalfWidth is the median's interval's larger half, relative to the
	// median, when the measurement stopped; 0 when too few samples gave no
	// interval.
	HalfWidth float64 `json:"ci_half_width"`
	// Message is the reason in words, with the figures.
	Message string `json:"message"`
	// Ceiling is the most samples the budget bought at the observed cost
	// (0 without a budget), CostNS that cost: the wall time per sample,
	// teardown and the harness's own work included.
	Ceiling int   `json:"ceiling,omitempty"`
	CostNS  int64 `json:"cost_per_sample_ns,omitempty"`
	// Shape is set when the samples are not one cluster: "bimodal" or
	// "alternating" (see Shape), with its figures in Message.
	Shape string `json:"shape,omitempty"`
}

// Sampler tracks one repeated measurement against its Sampling.
type Sampler struct {
	s      Sampling
	now    func() time.Time
	start  time.Time
	last   time.Time // when the last sample was added
	values []float64
	walls  []time.Duration // each sample's wall time, the harness's work around it included
	stop   *Stop
}

func (s Sampling) Begin() *Sampler { return s.BeginAt(time.Now) }

// beginAt is begin on a given clock (tests).
func (s Sampling) BeginAt(now func() time.Time) *Sampler {
	t := now()
	return &Sampler{s: s, now: now, start: t, last: t}
}

// add records one sample, a duration in nanoseconds.
func (sp *Sampler) Add(v float64) {
	t := sp.now()
	sp.values = append(sp.values, v)
	sp.walls = append(sp.walls, t.Sub(sp.last))
	sp.last = t
}

// n is the number of samples so far.
func (sp *Sampler) N() int { return len(sp.values) }

// ceiling is the most samples the budget buys at the cost per sample so
// far, within the floor and the hard maximum; the hard maximum without a
// budget or a sample. The cost is the median wall time per sample: one
// cold first sample (a VM's first Python run) does not set the pace.
func (sp *Sampler) ceiling() (int, time.Duration) {
	n := len(sp.walls)
	if sp.s.Budget <= 0 || n == 0 {
		return sp.s.Max, 0
	}
	w := append([]time.Duration(nil), sp.walls...)
	sort.Slice(w, func(i, j int) bool { return w[i] < w[j] })
	cost := w[n/2]
	if n%2 == 0 {
		cost = (w[n/2-1] + w[n/2]) / 2
	}
	c := sp.s.Max
	if cost > 0 && int64(sp.s.Budget/cost) < int64(c) {
		c = int(sp.s.Budget / cost)
	}
	return max(c, min(sp.s.Min, sp.s.Max)), cost
}

// more reports whether another sample should be taken and, when not,
// records why.
func (sp *Sampler) More() bool {
	if sp.stop != nil {
		return false
	}
	n := len(sp.values)
	if n >= sp.s.Max {
		sp.finish(StopMax, fmt.Sprintf("the hard maximum of %d samples", sp.s.Max))
		return false
	}
	if n < sp.s.Min {
		return true
	}
	hw := sp.halfWidth()
	if sp.s.Precision > 0 && hw <= sp.s.Precision {
		sp.finish(StopPrecision, fmt.Sprintf("the median's %.0f%% interval within ±%.1f%% (target ±%.0f%%) at n=%d",
			Confidence*100, hw*100, sp.s.Precision*100, n))
		return false
	}
	ceil, cost := sp.ceiling()
	if sp.s.Budget > 0 && n >= ceil {
		sp.finish(StopBudget, fmt.Sprintf("the ceiling of %d samples that the budget of %s buys at %s a sample, the interval %s",
			ceil, sp.s.Budget, roundDur(cost), pct(hw)))
		return false
	}
	if spent := sp.now().Sub(sp.start); sp.s.Budget > 0 && spent >= 2*sp.s.Budget {
		// Slow outliers past the median pace: the wall time caps it too.
		sp.finish(StopBudget, fmt.Sprintf("twice the budget of %s spent at n=%d (slow samples past the median pace of %s), the interval %s",
			sp.s.Budget, n, roundDur(cost), pct(hw)))
		return false
	}
	if sp.s.Precision > 0 && sp.s.Budget > 0 && n >= max(2*sp.s.Min, 12) && !math.IsInf(hw, 0) {
		need := int(math.Ceil(float64(n) * (hw / sp.s.Precision) * (hw / sp.s.Precision)))
		if need > 2*ceil {
			sp.finish(StopOutOfReach, fmt.Sprintf("out of reach: the interval %s at n=%d would take about %d samples to narrow to ±%.0f%%, over twice the %d that the budget of %s buys at %s a sample",
				pct(hw), n, need, sp.s.Precision*100, ceil, sp.s.Budget, roundDur(cost)))
			return false
		}
	}
	return true
}

// halt ends the measurement for a reason of the caller's (failures, an
// interruption).
func (sp *Sampler) Halt(reason, message string) {
	if sp.stop == nil {
		sp.finish(reason, message)
	}
}

func (sp *Sampler) finish(reason, message string) {
	sp.stop = &Stop{Reason: reason, Message: message}
	hw := sp.halfWidth()
	if !math.IsInf(hw, 0) {
		sp.stop.HalfWidth = hw
	}
	if sp.s.Budget > 0 && len(sp.values) > 0 {
		c, cost := sp.ceiling()
		sp.stop.Ceiling, sp.stop.CostNS = c, int64(cost)
	}
	if reason != StopPrecision && (sp.s.Precision == 0 || hw > sp.s.Precision) {
		if shape, why := Shape(sp.values); shape != "" {
			sp.stop.Shape = shape
			sp.stop.Message += "; " + why
		}
	}
}

// result is the recorded stop: the reason it stopped, or, for a loop that
// ended without asking (its count ran out), the ceiling.
func (sp *Sampler) Result() *Stop {
	if sp.stop == nil {
		sp.finish(StopMax, fmt.Sprintf("all %d samples taken", len(sp.values)))
	}
	return sp.stop
}

// halfWidth is the larger half of the median's interval relative to the
// median; +Inf while the sample is too small for an interval at Confidence.
func (sp *Sampler) halfWidth() float64 {
	if len(sp.values) < 2 {
		return math.Inf(1)
	}
	vals := append([]float64(nil), sp.values...)
	sort.Float64s(vals)
	bs := benchmath.AssumeNothing.Summary(benchmath.NewSample(vals, &benchmath.DefaultThresholds), Confidence)
	if math.IsInf(bs.Lo, 0) || math.IsInf(bs.Hi, 0) || bs.Center <= 0 {
		return math.Inf(1)
	}
	return math.Max(bs.Hi-bs.Center, bs.Center-bs.Lo) / bs.Center
}

// roundDur rounds a cost per sample for a message.
func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// pct is a relative half-width in words.
func pct(hw float64) string {
	if math.IsInf(hw, 0) {
		return "not yet known (too few samples)"
	}
	return fmt.Sprintf("±%.1f%%", hw*100)
}
