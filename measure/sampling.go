package measure

import (
	"fmt"
	"math"
	"sort"
	"time"

	"golang.org/x/perf/benchmath"
)

// Sampling is how many samples a repeated measurement takes: at least Min,
// at most Max, and between the two it stops as soon as the median's
// confidence interval is within ±Precision of the median, or once Budget
// is spent. The floor is never cut short by the budget: fewer samples than
// Min would not support the interval the run reports. Every stop records
// its reason (Stop), so that a reader knows whether n was enough or only
// all there was time for.
//
// Stopping on a tight interval is what hyperfine-like tools do; it costs a
// little coverage (an interval checked after every sample is tight a little
// more often by chance than one fixed in advance), which the floor keeps
// small.
type Sampling struct {
	Min       int
	Max       int
	Precision float64       // relative half-width of the median's CI; 0 never stops early
	Budget    time.Duration // wall time after which no sample is started past Min; 0 is none
}

// Stop reasons.
const (
	StopPrecision   = "precision"   // the interval was within ±Precision
	StopMax         = "max"         // the ceiling on n was reached
	StopBudget      = "budget"      // the time budget was spent
	StopFailures    = "failures"    // the runtime failed too often in a row
	StopInterrupted = "interrupted" // the run was stopped
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
}

// sampler tracks one repeated measurement against its Sampling.
type sampler struct {
	s      Sampling
	start  time.Time
	values []float64
	stop   *Stop
}

func (s Sampling) begin() *sampler { return &sampler{s: s, start: time.Now()} }

// add records one sample, in any unit.
func (sp *sampler) add(v float64) { sp.values = append(sp.values, v) }

// n is the number of samples so far.
func (sp *sampler) n() int { return len(sp.values) }

// more reports whether another sample should be taken and, when not,
// records why.
func (sp *sampler) more() bool {
	if sp.stop != nil {
		return false
	}
	n := len(sp.values)
	if n >= sp.s.Max {
		sp.finish(StopMax, fmt.Sprintf("the ceiling of %d samples", sp.s.Max))
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
	if sp.s.Budget > 0 && time.Since(sp.start) >= sp.s.Budget {
		sp.finish(StopBudget, fmt.Sprintf("the time budget of %s spent at n=%d, the interval %s", sp.s.Budget, n, pct(hw)))
		return false
	}
	return true
}

// halt ends the measurement for a reason of the caller's (failures, an
// interruption).
func (sp *sampler) halt(reason, message string) {
	if sp.stop == nil {
		sp.finish(reason, message)
	}
}

func (sp *sampler) finish(reason, message string) {
	sp.stop = &Stop{Reason: reason, Message: message}
	if hw := sp.halfWidth(); !math.IsInf(hw, 0) {
		sp.stop.HalfWidth = hw
	}
}

// result is the recorded stop: the reason it stopped, or, for a loop that
// ended without asking (its count ran out), the ceiling.
func (sp *sampler) result() *Stop {
	if sp.stop == nil {
		sp.finish(StopMax, fmt.Sprintf("all %d samples taken", len(sp.values)))
	}
	return sp.stop
}

// halfWidth is the larger half of the median's interval relative to the
// median; +Inf while the sample is too small for an interval at Confidence.
func (sp *sampler) halfWidth() float64 {
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

// pct is a relative half-width in words.
func pct(hw float64) string {
	if math.IsInf(hw, 0) {
		return "not yet known (too few samples)"
	}
	return fmt.Sprintf("±%.1f%%", hw*100)
}
