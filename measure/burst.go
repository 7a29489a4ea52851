package measure

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
	"github.com/agentic-eval/agentic-eval/workload"
)

// burst is the results.PhaseBurst phase.
type burst struct{}

func (burst) name() results.Phase                          { return results.PhaseBurst }
func (burst) wanted(s results.Settings) bool               { return s.Has(results.PhaseBurst) && s.Burst > 0 }
func (burst) run(ctx context.Context, r *Runner, t target) { r.measureBurst(ctx, t.d, t.vr) }

// The burst sweep: k spawns requested at once, for k climbing a ladder
// (1, 4, 16, 64 by default), to find where a runtime stops scaling on this
// host. Each level holds its k sandboxes until the last is done, then
// destroys them all before the next level starts.

// burstBadSuccess is the success rate under which a level failed badly:
// the climb stops there.
const burstBadSuccess = 0.5

// measureBurst climbs the burst ladder.
func (r *Runner) measureBurst(ctx context.Context, d driver.Driver, vr *results.VariantResult) {
	s := r.Settings
	until, w, note := r.sweepUntil(vr)
	sw := &results.BurstSweep{Until: until, UntilNote: note, Ladder: s.BurstLevels(), KneeRule: results.KneeRule, BudgetNS: int64(s.BurstBudget)}
	vr.BurstSweep = sw
	t0 := time.Now()
	deadline := t0.Add(s.BurstBudget)
	defer func() {
		sw.ElapsedNS = int64(time.Since(t0))
		sw.Knee, sw.KneeNote = results.Knee(sw.Levels)
	}()
	guard, err := r.newMemoryGuard()
	if err != nil {
		recordFailure(vr, results.PhaseBurst, "", err)
		sw.StoppedBy = fmt.Sprintf("memory guard: %v", err)
		return
	}
	// A ladder shows something only from its second level on: when the
	// start-latency phase says that not even the first two levels fit the
	// budget, the climb is not begun (its one level would be one more
	// start sample), and the reap says why.
	if l := vr.StartLatency; l != nil && l.Summary.N > 0 && len(sw.Ladder) > 1 {
		one := time.Duration(l.Summary.Median * float64(time.Millisecond))
		two := one + one*time.Duration(sw.Ladder[1])
		if two > s.BurstBudget {
			sw.StoppedBy = fmt.Sprintf("time budget: a start takes about %s here, so levels k=%d and k=%d would take about %s of the %s budget; no level was run (raise --burst-budget to climb)",
				one.Round(time.Millisecond), sw.Ladder[0], sw.Ladder[1], two.Round(time.Millisecond), s.BurstBudget)
			return
		}
	}
	var mu sync.Mutex // guards vr while a level's goroutines run
	var last *results.BurstLevel
	for i, k := range sw.Ladder {
		if ctx.Err() != nil {
			return
		}
		// A level is predicted to take the last level's wall and teardown
		// times scaled by k: throughput no better than the last level's.
		if last != nil {
			predicted := time.Duration(float64(last.AllNS+last.TeardownNS) * float64(k) / float64(last.K))
			if left := time.Until(deadline); predicted > left {
				sw.StoppedBy = fmt.Sprintf("time budget: level k=%d would take about %s (k=%d took %s with its teardown), %s of the %s budget left",
					k, predicted.Round(time.Millisecond), last.K, time.Duration(last.AllNS+last.TeardownNS).Round(time.Millisecond), left.Round(time.Millisecond), s.BurstBudget)
				return
			}
		}
		fit, avail, err := guard.fits(r)
		if err != nil {
			recordFailure(vr, results.PhaseBurst, "", err)
			sw.StoppedBy = fmt.Sprintf("memory guard: %v", err)
			return
		}
		lvl := results.BurstLevel{K: k, Until: until}
		if fit < k {
			prevK := 0
			if last != nil {
				prevK = last.K
			}
			if fit <= prevK {
				sw.StoppedBy = fmt.Sprintf("memory guard: level k=%d does not fit (%s)", k, guard.describe(avail, r))
				return
			}
			lvl.K, lvl.Wanted, lvl.CappedBy = fit, k, "memory guard: "+guard.describe(avail, r)
		}
		r.progress(Event{Variant: d.Variant(), Phase: results.PhaseBurst, Done: i, Total: len(sw.Ladder), Message: fmt.Sprintf("%d spawns at once", lvl.K)})
		// The level's hard deadline: half the budget past its end, so that
		// a level the prediction let in cannot hold the run for long.
		lctx, cancel := context.WithDeadline(ctx, deadline.Add(s.BurstBudget/2))
		meter := startCost()
		cut := r.burstLevel(lctx, d, vr, &mu, w, &lvl, guard, avail)
		cancel()
		lvl.Harness = meter.stop(runtime.NumCPU())
		sw.Levels = append(sw.Levels, lvl)
		last = &sw.Levels[len(sw.Levels)-1]
		// The largest level climbed so far is the last: its cost is the
		// reap's.
		sw.Harness = lvl.Harness
		switch {
		case ctx.Err() != nil:
			return
		case cut:
			sw.StoppedBy = fmt.Sprintf("time budget: level k=%d was cut at %s, half the %s budget past its end", lvl.K, (s.BurstBudget * 3 / 2).Round(time.Millisecond), s.BurstBudget)
			return
		case lvl.SuccessRate < burstBadSuccess:
			sw.StoppedBy = fmt.Sprintf("level k=%d failed badly: %d of %d spawns succeeded", lvl.K, lvl.Started, lvl.K)
			return
		case lvl.CappedBy != "":
			sw.StoppedBy = fmt.Sprintf("memory guard: level k=%d capped at %d", lvl.Wanted, lvl.K)
			return
		}
	}
	r.progress(Event{Variant: d.Variant(), Phase: results.PhaseBurst, Done: len(sw.Ladder), Total: len(sw.Ladder)})
}

// burstLevel requests lvl.K spawns at once, waits for all, records the
// level and destroys its sandboxes. It reports whether lctx's deadline
// (the level's hard limit) cut it.
func (r *Runner) burstLevel(lctx context.Context, d driver.Driver, vr *results.VariantResult, mu *sync.Mutex, w workload.Workload, lvl *results.BurstLevel, guard *memoryGuard, availBefore int64) bool {
	k := lvl.K
	spawns := make([]spawnTimes, k)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < k; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			spawns[i] = r.sweepSpawn(lctx, d, w)
		}()
	}
	first := time.Now()
	close(gate)
	wg.Wait()
	cut := lctx.Err() == context.DeadlineExceeded
	// With every sandbox of the level still held: what they cost.
	if _, with, _, err := r.memAvailable(false); err == nil {
		guard.observe(availBefore, with, countLive(spawns))
	}
	var samples, ready []time.Duration
	var firstDone, lastDone time.Time
	ins := make([]*instance, 0, k)
	for _, o := range spawns {
		ins = append(ins, o.in)
		if o.err != nil {
			lvl.Failed++
			if lctx.Err() == nil || cut {
				limit, _ := lctx.Deadline()
				f := cutFailure(results.PhaseBurst, o, limit, "the level's time limit")
				lvl.Failures = append(lvl.Failures, f)
				vr.Failures = append(vr.Failures, f)
			}
			continue
		}
		vr.Did(vms.OpCreate)
		samples = append(samples, o.done.Sub(first))
		ready = append(ready, o.ready.Sub(first))
		if firstDone.IsZero() || o.done.Before(firstDone) {
			firstDone = o.done
		}
		if o.done.After(lastDone) {
			lastDone = o.done
		}
	}
	t0 := time.Now()
	r.destroyLevel(vr, mu, ins)
	lvl.TeardownNS = int64(time.Since(t0))
	lvl.Started = len(samples)
	lvl.SamplesNS, lvl.ReadyNS, lvl.Summary = nsList(samples), nsList(ready), stats.Summarize(samples)
	if lvl.Until == results.UntilReady {
		lvl.ReadyNS = nil // the same as SamplesNS
	}
	vals := stats.Millis(samples)
	lvl.P50MS, lvl.P99MS = stats.NearestRank(vals, 0.50), stats.NearestRank(vals, 0.99)
	lvl.SuccessRate = float64(lvl.Started) / float64(k)
	if lvl.Started > 0 {
		lvl.FirstNS, lvl.AllNS = int64(firstDone.Sub(first)), int64(lastDone.Sub(first))
		lvl.SpawnsPerSecond = float64(lvl.Started) / lastDone.Sub(first).Seconds()
	}
	return cut
}

func countLive(rs []spawnTimes) int {
	n := 0
	for _, o := range rs {
		if o.in != nil {
			n++
		}
	}
	return n
}
