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
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
	"github.com/agentic-eval/agentic-eval/workload"
)

// arrivals is the results.PhaseArrivals phase.
type arrivals struct{}

func (arrivals) name() results.Phase { return results.PhaseArrivals }
func (arrivals) wanted(s results.Settings) bool {
	return s.Has(results.PhaseArrivals) && len(s.Arrivals.Rates) > 0
}
func (arrivals) run(ctx context.Context, r *Runner, t target) { r.measureArrivals(ctx, t.d, t.vr) }

// The open-loop arrivals: sandboxes requested at a fixed mean rate, with
// Poisson arrivals (exponential gaps), each rate of a ladder held for a
// fixed time. The schedule is drawn before a rate starts and never waits
// for the runtime: a request that cannot be sent on time (the in-flight
// cap) waits, and its wait counts. Every latency is measured from the
// arrival's scheduled instant, not from when it was sent, so a slow
// runtime cannot hide its queue (no coordinated omission). Each arrival's
// sandbox is destroyed as soon as it is done (ready, or its workload's
// verified result): arrivals are not held.

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

// measureArrivals climbs the arrival ladder until a rate is not held, the
// budget would be exceeded, or the ladder ends.
func (r *Runner) measureArrivals(ctx context.Context, d driver.Driver, vr *results.VariantResult) {
	a := r.Settings.Arrivals
	until, w, note := r.sweepUntil(vr)
	seed := a.Seed
	if seed == 0 {
		var b [8]byte
		_, _ = crand.Read(b[:])
		seed = binary.BigEndian.Uint64(b[:]) | 1
	}
	sw := &results.ArrivalSweep{Until: until, UntilNote: note, Seed: seed, HoldNS: int64(a.Hold), BoundNS: int64(a.P99Bound), BudgetNS: int64(a.Budget),
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
		recordFailure(vr, results.PhaseArrivals, "", err)
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
			recordFailure(vr, results.PhaseArrivals, "", err)
			sw.StoppedBy = fmt.Sprintf("memory guard: %v", err)
			return
		}
		limit := min(a.MaxInFlight, fit)
		if limit < 1 {
			sw.StoppedBy = fmt.Sprintf("memory guard: no sandbox fits (%s)", guard.describe(avail, r))
			return
		}
		offsets := PoissonSchedule(ScheduleSource(seed, i), rate, a.Hold)
		r.progress(Event{Variant: d.Variant(), Phase: results.PhaseArrivals, Done: i, Total: len(a.Rates), Message: fmt.Sprintf("%g/s for %s", rate, a.Hold)})
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
	r.progress(Event{Variant: d.Variant(), Phase: results.PhaseArrivals, Done: len(a.Rates), Total: len(a.Rates)})
}

// arrivalRate offers one rate: it sends each arrival at its scheduled
// instant, whatever the others are doing, and measures it from then.
func (r *Runner) arrivalRate(ctx context.Context, d driver.Driver, vr *results.VariantResult, mu *sync.Mutex, w workload.Workload, rate float64, offsets []time.Duration, limit int) results.ArrivalRate {
	a := r.Settings.Arrivals
	ar := results.ArrivalRate{Rate: rate, Scheduled: len(offsets), Offered: float64(len(offsets)) / a.Hold.Seconds()}
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
					recordFailure(vr, "teardown", t.in.id, err)
				} else {
					vr.Did(vms.OpDestroy)
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
			vr.Did(vms.OpCreate)
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
			f := cutFailure(results.PhaseArrivals, o, cutAt, "the rate's drain limit")
			ar.Failures = append(ar.Failures, f)
			vr.Failures = append(vr.Failures, f)
		}
	}
	ar.Done = len(lats)
	ar.SamplesNS, ar.ReadyNS, ar.Summary = nsList(lats), nsList(ready), stats.Summarize(lats)
	if w.Argv == nil {
		ar.ReadyNS = nil
	}
	all = stats.Millis(lats)
	for _, c := range ar.CensoredNS {
		all = append(all, float64(c)/float64(time.Millisecond))
	}
	ar.P50MS, ar.P99MS = stats.NearestRank(all, 0.50), stats.NearestRank(all, 0.99)
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
