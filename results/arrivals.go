package results

import (
	"fmt"
	"time"

	"github.com/agentic-eval/agentic-eval/stats"
)

// PhaseArrivals is the open-loop arrival ladder.
const PhaseArrivals Phase = "arrivals"

// ArrivalSettings are the arrival phase's knobs.
type ArrivalSettings struct {
	// Rates are the mean arrival rates climbed, per second, increasing.
	Rates []float64 `json:"rates_per_s"`
	// Hold is how long each rate is offered.
	Hold time.Duration `json:"hold_ns"`
	// P99Bound is the bound a rate's p99 (from scheduled arrival) must stay
	// under for the rate to be held.
	P99Bound time.Duration `json:"p99_bound_ns"`
	// Budget bounds the whole phase per variant.
	Budget time.Duration `json:"budget_ns"`
	// MaxInFlight caps the arrivals in flight at once (the memory guard
	// may lower it); an arrival over it waits, and its wait counts.
	MaxInFlight int `json:"max_in_flight"`
	// Seed seeds the schedules; 0 draws a fresh one per run (recorded).
	Seed uint64 `json:"seed,omitempty"`
}

// DefaultArrivalSettings are rates of 4, 8, 16, 32 and 64 per second,
// each held 1 s, a p99 bound of 1 s (an agent's tool call should not wait
// a second for its sandbox), at most 64 in flight, 8 s per variant: small,
// for a whole default run in about two minutes.
func DefaultArrivalSettings() ArrivalSettings {
	return ArrivalSettings{
		Rates: []float64{4, 8, 16, 32, 64}, Hold: time.Second, P99Bound: time.Second,
		Budget: 8 * time.Second, MaxInFlight: 64,
	}
}

// Validate checks the bounds of the arrival settings.
func (a ArrivalSettings) Validate() error {
	for i, rt := range a.Rates {
		if rt < 0.1 || rt > 1000 {
			return fmt.Errorf("arrival rate %g/s out of range: want 0.1 to 1000 per second", rt)
		}
		if i > 0 && rt <= a.Rates[i-1] {
			return fmt.Errorf("arrival rates %v are not increasing: want rates such as 2,4,8,16", a.Rates)
		}
	}
	if len(a.Rates) == 0 {
		return nil
	}
	switch {
	case a.Hold < 100*time.Millisecond || a.Hold > 10*time.Minute:
		return fmt.Errorf("arrival hold %s out of range: want 100ms to 10m", a.Hold)
	case a.P99Bound < time.Millisecond || a.P99Bound > 10*time.Minute:
		return fmt.Errorf("arrival p99 bound %s out of range: want 1ms to 10m", a.P99Bound)
	case a.Budget < 100*time.Millisecond || a.Budget > time.Hour:
		return fmt.Errorf("arrival budget %s out of range: want 100ms to 1h", a.Budget)
	case a.MaxInFlight < 1 || a.MaxInFlight > 1000:
		return fmt.Errorf("arrivals in flight %d out of range: want 1 to 1000", a.MaxInFlight)
	}
	if top := a.Rates[len(a.Rates)-1] * a.Hold.Seconds(); top > 10000 {
		return fmt.Errorf("arrival rate %g/s held %s is about %.0f sandboxes: want at most 10000 per rate", a.Rates[len(a.Rates)-1], a.Hold, top)
	}
	return nil
}

// ArrivalSweep is the arrival phase's result.
type ArrivalSweep struct {
	Until     string `json:"until"`
	UntilNote string `json:"until_note,omitempty"`
	// Destroy says when each arrival's sandbox was destroyed.
	Destroy  string        `json:"destroy"`
	Seed     uint64        `json:"seed"`
	HoldNS   int64         `json:"hold_ns"`
	BoundNS  int64         `json:"p99_bound_ns"`
	BudgetNS int64         `json:"budget_ns"`
	Rates    []ArrivalRate `json:"rates"`
	// HighestHeld is the highest rate held (per second); 0 when none was:
	// HeldNote says why.
	HighestHeld float64 `json:"highest_held_per_s,omitempty"`
	HeldNote    string  `json:"held_note,omitempty"`
	StoppedBy   string  `json:"stopped_by,omitempty"`
	ElapsedNS   int64   `json:"elapsed_ns"`
	// Harness is the harness's own cost during the highest rate offered.
	Harness *HarnessCost `json:"harness,omitempty"`
}

// ArrivalRate is one rate of the ladder, offered for the hold time.
type ArrivalRate struct {
	Rate float64 `json:"rate_per_s"`
	// Scheduled arrivals, and their rate over the hold (the Poisson draw's).
	Scheduled int     `json:"scheduled"`
	Offered   float64 `json:"offered_per_s"`
	Done      int     `json:"done"`
	Failed    int     `json:"failed"`
	// Unfinished arrivals were still under way when the rate's drain limit
	// (the hold plus twice the bound) cut them: each waited at least
	// CensoredNS, more than the bound.
	Unfinished int       `json:"unfinished"`
	CensoredNS []int64   `json:"censored_ns,omitempty"`
	Failures   []Failure `json:"failures,omitempty"`
	// SamplesNS are the done arrivals' latencies from their scheduled
	// instants to Until; ReadyNS the same to the ready line.
	SamplesNS []int64       `json:"samples_ns"`
	ReadyNS   []int64       `json:"ready_ns,omitempty"`
	Summary   stats.Summary `json:"summary"`
	// P50MS and P99MS are nearest-rank percentiles over the done arrivals
	// and the unfinished ones' lower bounds (then P99LowerBound); below 100
	// arrivals the p99 is the maximum.
	P50MS         float64 `json:"p50_ms"`
	P99MS         float64 `json:"p99_ms"`
	P99LowerBound bool    `json:"p99_lower_bound,omitempty"`
	// Achieved is Done over the time from the rate's start to its last
	// arrival done: the rate the runtime delivered sandboxes at.
	Achieved float64 `json:"achieved_per_s"`
	// DispatchLagMaxNS is the harness's own lateness: the most any request
	// was sent after its scheduled instant, the in-flight cap aside.
	DispatchLagMaxNS int64 `json:"dispatch_lag_max_ns"`
	// PeakInFlight is the most arrivals under way at once; CapReached says
	// the in-flight cap held some back (their wait is in their latency).
	PeakInFlight int  `json:"peak_in_flight"`
	CapReached   bool `json:"cap_reached,omitempty"`
	// Held: every arrival done, none failed, p99 under the bound. Why says
	// why not.
	Held      bool         `json:"held"`
	Why       string       `json:"why,omitempty"`
	ElapsedNS int64        `json:"elapsed_ns"`
	Harness   *HarnessCost `json:"harness,omitempty"`
}
