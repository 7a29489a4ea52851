package measure

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"

	"github.com/agentic-eval/agentic-eval/vms"
	"github.com/agentic-eval/agentic-eval/workload"
)

// The open-loop arrivals: sandboxes requested at a fixed mean rate, with
// Poisson arrivals (exponential gaps), each rate of a ladder held for a
// fixed time. The schedule is drawn before a rate starts and never waits
// for the runtime: a request that cannot be sent on time (the in-flight
// cap) waits, and its wait counts. Every latency is measured from the
// arrival's scheduled instant, not from when it was sent, so a slow
// runtime cannot hide its queue (no coordinated omission). Each arrival's
// sandbox is destroyed as soon as it is done (ready, or its workload's
// verified result): arrivals are not held.

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

// PoissonSchedule draws the arrival offsets of a Poisson process of the
// given mean rate (per second) over hold: cumulative exponential gaps of
// mean 1/rate, each offset from the rate's start, all under hold.
func PoissonSchedule(rng *rand.Rand, rate float64, hold time.Duration) []time.Duration {
	var out []time.Duration
	t := 0.0
	for {
		t += rng.ExpFloat64() / rate
		off := time.Duration(t * float64(time.Second))
		if off >= hold {
			return out
		}
		out = append(out, off)
	}
}

// ScheduleSource is the random source of the i-th rate's schedule under
// seed: a run's schedules are reproducible from its recorded seed.
func ScheduleSource(seed uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(i)))
}

// FromScheduled is each arrival's latency from its scheduled instant
// (start plus its offset) to when it was done. A request sent late, by the
// harness or because the in-flight cap held it back, is charged its delay.
func FromScheduled(start time.Time, offsets []time.Duration, done []time.Time) []time.Duration {
	out := make([]time.Duration, len(offsets))
	for i, off := range offsets {
		out[i] = done[i].Sub(start.Add(off))
	}
	return out
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
	SamplesNS []int64 `json:"samples_ns"`
	ReadyNS   []int64 `json:"ready_ns,omitempty"`
	Summary   Summary `json:"summary"`
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

// measureArrivals climbs the arrival ladder until a rate is not held, the
// budget would be exceeded, or the ladder ends.
func (r *Runner) measureArrivals(ctx context.Context, d driver.Driver, vr *VariantResult) {
	a := r.Settings.Arrivals
	until, w, note := r.sweepUntil(vr)
	seed := a.Seed
	if seed == 0 {
		var b [8]byte
		_, _ = crand.Read(b[:])
		seed = binary.BigEndian.Uint64(b[:]) | 1
	}
	sw := &ArrivalSweep{Until: until, UntilNote: note, Seed: seed, HoldNS: int64(a.Hold), BoundNS: int64(a.P99Bound), BudgetNS: int64(a.Budget),
		Destroy: "as soon as each arrival is done (" + until + "); none is held"}
	vr.Arrivals = sw
	t0 := time.Now()
	deadline := t0.Add(a.Budget)
	defer func() {
		sw.ElapsedNS = int64(time.Since(t0))
		if sw.HighestHeld == 0 && sw.HeldNote == "" {
			sw.HeldNote = "no rate was held"
			if len(sw.Rates) == 0 {
				sw.HeldNote = "no rate was offered"
			}
		}
	}()
	guard, err := r.newMemoryGuard()
	if err != nil {
		vr.fail(PhaseArrivals, "", err)
		sw.StoppedBy = fmt.Sprintf("memory guard: %v", err)
		return
	}
	var mu sync.Mutex
	for i, rate := range a.Rates {
		if ctx.Err() != nil {
			return
		}
		// A rate takes its hold and a drain of about the bound (at most
		// twice it, where the drain is cut).
		if left := time.Until(deadline); a.Hold+a.P99Bound > left {
			sw.StoppedBy = fmt.Sprintf("time budget: rate %g/s needs about %s (hold %s and a drain of the bound), %s of the %s budget left",
				rate, a.Hold+a.P99Bound, a.Hold, left.Round(time.Millisecond), a.Budget)
			return
		}
		fit, avail, err := guard.fits(r)
		if err != nil {
			vr.fail(PhaseArrivals, "", err)
			sw.StoppedBy = fmt.Sprintf("memory guard: %v", err)
			return
		}
		limit := min(a.MaxInFlight, fit)
		if limit < 1 {
			sw.StoppedBy = fmt.Sprintf("memory guard: no sandbox fits (%s)", guard.describe(avail, r))
			return
		}
		offsets := PoissonSchedule(ScheduleSource(seed, i), rate, a.Hold)
		r.progress(Event{Variant: d.Variant(), Phase: PhaseArrivals, Done: i, Total: len(a.Rates), Message: fmt.Sprintf("%g/s for %s", rate, a.Hold)})
		meter := startCost()
		ar := r.arrivalRate(ctx, d, vr, &mu, w, rate, offsets, limit)
		ar.Harness = meter.stop(runtime.NumCPU())
		sw.Rates = append(sw.Rates, ar)
		sw.Harness = ar.Harness
		if ctx.Err() != nil {
			return
		}
		if !ar.Held {
			sw.StoppedBy = fmt.Sprintf("rate %g/s not held: %s", rate, ar.Why)
			return
		}
		sw.HighestHeld = rate
	}
	r.progress(Event{Variant: d.Variant(), Phase: PhaseArrivals, Done: len(a.Rates), Total: len(a.Rates)})
}

// arrivalRate offers one rate: it sends each arrival at its scheduled
// instant, whatever the others are doing, and measures it from then.
func (r *Runner) arrivalRate(ctx context.Context, d driver.Driver, vr *VariantResult, mu *sync.Mutex, w workload.Workload, rate float64, offsets []time.Duration, limit int) ArrivalRate {
	a := r.Settings.Arrivals
	ar := ArrivalRate{Rate: rate, Scheduled: len(offsets), Offered: float64(len(offsets)) / a.Hold.Seconds()}
	start := time.Now()
	// Past the hold plus twice the bound, an arrival still under way has
	// waited more than the bound: the rate is not held whatever it does
	// next, so the drain ends there.
	cutAt := start.Add(a.Hold + 2*a.P99Bound)
	rctx, cancel := context.WithDeadline(ctx, cutAt)
	defer cancel()
	outs := make([]spawnTimes, len(offsets))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	var inFlight, peak int
	var lagMax time.Duration
	timer := time.NewTimer(0)
	<-timer.C
dispatch:
	for i, off := range offsets {
		due := start.Add(off)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-rctx.Done():
				// Not sent: the run was interrupted or the drain limit came.
				for j := i; j < len(offsets); j++ {
					outs[j] = spawnTimes{due: start.Add(offsets[j]), err: rctx.Err(), end: time.Now()}
				}
				break dispatch
			}
		}
		lagMax = max(lagMax, time.Since(due))
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			default:
				mu.Lock()
				ar.CapReached = true
				mu.Unlock()
				select {
				case sem <- struct{}{}:
				case <-rctx.Done():
					outs[i] = spawnTimes{due: due, err: rctx.Err(), end: time.Now()}
					return
				}
			}
			mu.Lock()
			inFlight++
			peak = max(peak, inFlight)
			mu.Unlock()
			t := r.sweepSpawn(rctx, d, w)
			t.due = due
			if t.in != nil {
				_, err := r.destroy(t.in)
				mu.Lock()
				if err != nil {
					vr.fail("teardown", t.in.id, err)
				} else {
					vr.did(vms.OpDestroy)
				}
				mu.Unlock()
				t.in = nil
			}
			mu.Lock()
			inFlight--
			mu.Unlock()
			<-sem
			outs[i] = t
		}()
	}
	wg.Wait()
	ar.ElapsedNS = int64(time.Since(start))
	ar.DispatchLagMaxNS = int64(lagMax)
	ar.PeakInFlight = peak
	interrupted := ctx.Err() != nil
	cut := !interrupted && rctx.Err() != nil
	var lats, ready []time.Duration
	var all []float64
	var lastDone time.Time
	for _, o := range outs {
		switch {
		case o.err == nil:
			vr.did(vms.OpCreate)
			lats = append(lats, o.done.Sub(o.due))
			ready = append(ready, o.ready.Sub(o.due))
			lastDone = maxTime(lastDone, o.done)
		case interrupted:
		case cut && !o.end.Before(cutAt):
			// Cut at the drain limit (or never sent before it): censored,
			// it waited at least until the cut.
			ar.Unfinished++
			ar.CensoredNS = append(ar.CensoredNS, int64(cutAt.Sub(o.due)))
		default:
			ar.Failed++
			f := cutFailure(PhaseArrivals, o, cutAt, "the rate's drain limit")
			ar.Failures = append(ar.Failures, f)
			vr.Failures = append(vr.Failures, f)
		}
	}
	ar.Done = len(lats)
	ar.SamplesNS, ar.ReadyNS, ar.Summary = nsList(lats), nsList(ready), Summarize(lats)
	if w.Argv == nil {
		ar.ReadyNS = nil
	}
	all = msOf(lats)
	for _, c := range ar.CensoredNS {
		all = append(all, float64(c)/float64(time.Millisecond))
	}
	ar.P50MS, ar.P99MS = nearestRank(all, 0.50), nearestRank(all, 0.99)
	ar.P99LowerBound = ar.Unfinished > 0
	if ar.Done > 0 {
		ar.Achieved = float64(ar.Done) / lastDone.Sub(start).Seconds()
	}
	bound := float64(a.P99Bound) / float64(time.Millisecond)
	switch {
	case interrupted:
		ar.Why = "interrupted"
	case ar.Scheduled == 0:
		ar.Why = "the Poisson draw scheduled no arrival in the hold"
	case ar.Failed > 0:
		ar.Why = fmt.Sprintf("%d of %d arrivals failed", ar.Failed, ar.Scheduled)
	case ar.Unfinished > 0:
		ar.Why = fmt.Sprintf("%d of %d arrivals were not done %s after the hold (twice the bound)", ar.Unfinished, ar.Scheduled, 2*a.P99Bound)
	case ar.P99MS > bound:
		ar.Why = fmt.Sprintf("p99 %.1f ms over the %s bound", ar.P99MS, a.P99Bound)
	default:
		ar.Held = true
	}
	return ar
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
