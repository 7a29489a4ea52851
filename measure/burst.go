package measure

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"

	"github.com/agentic-eval/agentic-eval/vms"
	"github.com/agentic-eval/agentic-eval/workload"
)

// The burst sweep: k spawns requested at once, for k climbing a ladder
// (1, 4, 16, 64 by default), to find where a runtime stops scaling on this
// host. Each level holds its k sandboxes until the last is done, then
// destroys them all before the next level starts.

// KneeFactor is the knee rule's factor: a level's throughput must be at
// least this times the previous measured level's to count as still rising.
const KneeFactor = 1.10

// KneeRule states the rule Knee applies, recorded in every sweep.
const KneeRule = "the knee is the last level before the first measured level whose spawns/s is under 1.10 times the previous measured level's; levels that produced nothing are gaps, skipped, never zeros"

// BurstSweep is the burst phase's result: the levels climbed, the knee and
// why the climb stopped.
type BurstSweep struct {
	// Until is what each spawn was timed until: UntilReady, or the workload
	// whose first verified result ended it (per level too).
	Until string `json:"until"`
	// UntilNote says why a workload was wanted and not timed, if so.
	UntilNote string `json:"until_note,omitempty"`
	// Ladder is the levels asked for (Settings.BurstLevels).
	Ladder []int        `json:"ladder"`
	Levels []BurstLevel `json:"levels"`
	// Knee is the level past which throughput stopped rising (KneeRule);
	// 0 when it was not reached: KneeNote says why.
	Knee     int    `json:"knee,omitempty"`
	KneeNote string `json:"knee_note,omitempty"`
	KneeRule string `json:"knee_rule"`
	// StoppedBy says why the climb ended before the ladder's top, if so.
	StoppedBy string `json:"stopped_by,omitempty"`
	// BudgetNS is the phase's time budget; ElapsedNS what it took.
	BudgetNS  int64 `json:"budget_ns"`
	ElapsedNS int64 `json:"elapsed_ns"`
	// Harness is the harness's own cost during the largest level climbed.
	Harness *HarnessCost `json:"harness,omitempty"`
	// Converted says the sweep was read from a document written before the
	// ladder (its single "burst" object).
	Converted bool `json:"converted,omitempty"`
}

// BurstLevel is one level: K spawns requested at the same instant.
type BurstLevel struct {
	K int `json:"k"`
	// Until is what each spawn was timed until (BurstSweep.Until).
	Until string `json:"until"`
	// CappedBy says why fewer than the ladder's level were asked for (the
	// memory guard), if so; Wanted is the ladder's level then.
	CappedBy string `json:"capped_by,omitempty"`
	Wanted   int    `json:"wanted,omitempty"`
	Started  int    `json:"started"` // spawns that reached Until
	Failed   int    `json:"failed"`
	// Failures are the failed spawns' causes, classified.
	Failures []Failure `json:"failures,omitempty"`
	// SamplesNS are the successful spawns' times, request to Until;
	// ReadyNS the same spawns' times to the ready line.
	SamplesNS []int64 `json:"samples_ns"`
	ReadyNS   []int64 `json:"ready_ns,omitempty"`
	Summary   Summary `json:"summary"`
	// P50MS and P99MS are nearest-rank percentiles of SamplesNS: below 100
	// samples the p99 is the maximum.
	P50MS float64 `json:"p50_ms"`
	P99MS float64 `json:"p99_ms"`
	// FirstNS is from the shared request instant to the first spawn done,
	// AllNS to the last successful one (the level's wall time).
	FirstNS int64 `json:"first_ns"`
	AllNS   int64 `json:"all_ns"`
	// SuccessRate is Started / K.
	SuccessRate float64 `json:"success_rate"`
	// SpawnsPerSecond is Started / AllNS; absent when nothing succeeded.
	SpawnsPerSecond float64 `json:"spawns_per_second,omitempty"`
	// TeardownNS is how long destroying the level's sandboxes took.
	TeardownNS int64 `json:"teardown_ns"`
	// Harness is the harness's own cost during this level.
	Harness *HarnessCost `json:"harness,omitempty"`
}

// Measured reports whether the level produced a throughput figure.
func (l BurstLevel) Measured() bool { return l.Started > 0 && l.AllNS > 0 }

// Knee applies KneeRule to levels in climbing order: it returns the knee's
// K, or 0 and why none was found.
func Knee(levels []BurstLevel) (int, string) {
	var prev *BurstLevel
	measured := 0
	for i := range levels {
		l := &levels[i]
		if !l.Measured() {
			continue
		}
		measured++
		if prev != nil && l.SpawnsPerSecond < KneeFactor*prev.SpawnsPerSecond {
			return prev.K, ""
		}
		prev = l
	}
	switch {
	case measured == 0:
		return 0, "no level produced a throughput figure"
	case measured == 1:
		return 0, fmt.Sprintf("only one level measured (k=%d): no knee can be seen", prev.K)
	default:
		return 0, fmt.Sprintf("not reached: throughput still rose at k=%d, the last level measured", prev.K)
	}
}

// burstBadSuccess is the success rate under which a level failed badly:
// the climb stops there.
const burstBadSuccess = 0.5

// measureBurst climbs the burst ladder.
func (r *Runner) measureBurst(ctx context.Context, d driver.Driver, vr *VariantResult) {
	s := r.Settings
	until, w, note := r.sweepUntil(vr)
	sw := &BurstSweep{Until: until, UntilNote: note, Ladder: s.BurstLevels(), KneeRule: KneeRule, BudgetNS: int64(s.BurstBudget)}
	vr.BurstSweep = sw
	t0 := time.Now()
	deadline := t0.Add(s.BurstBudget)
	defer func() {
		sw.ElapsedNS = int64(time.Since(t0))
		sw.Knee, sw.KneeNote = Knee(sw.Levels)
	}()
	guard, err := r.newMemoryGuard()
	if err != nil {
		vr.fail(PhaseBurst, "", err)
		sw.StoppedBy = fmt.Sprintf("memory guard: %v", err)
		return
	}
	// A ladder shows something only from its second level on: when the
	// start-latency phase says that not even the first two levels fit the
	// budget, the climb is not begun (its one level would be one more
	// start sample), and the sweep says why.
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
	var last *BurstLevel
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
			vr.fail(PhaseBurst, "", err)
			sw.StoppedBy = fmt.Sprintf("memory guard: %v", err)
			return
		}
		lvl := BurstLevel{K: k, Until: until}
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
		r.progress(Event{Variant: d.Variant(), Phase: PhaseBurst, Done: i, Total: len(sw.Ladder), Message: fmt.Sprintf("%d spawns at once", lvl.K)})
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
		// sweep's.
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
	r.progress(Event{Variant: d.Variant(), Phase: PhaseBurst, Done: len(sw.Ladder), Total: len(sw.Ladder)})
}

// burstLevel requests lvl.K spawns at once, waits for all, records the
// level and destroys its sandboxes. It reports whether lctx's deadline
// (the level's hard limit) cut it.
func (r *Runner) burstLevel(lctx context.Context, d driver.Driver, vr *VariantResult, mu *sync.Mutex, w workload.Workload, lvl *BurstLevel, guard *memoryGuard, availBefore int64) bool {
	k := lvl.K
	results := make([]spawnTimes, k)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < k; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			results[i] = r.sweepSpawn(lctx, d, w)
		}()
	}
	first := time.Now()
	close(gate)
	wg.Wait()
	cut := lctx.Err() == context.DeadlineExceeded
	// With every sandbox of the level still held: what they cost.
	if _, with, _, err := r.memAvailable(false); err == nil {
		guard.observe(availBefore, with, countLive(results))
	}
	var samples, ready []time.Duration
	var firstDone, lastDone time.Time
	ins := make([]*instance, 0, k)
	for _, o := range results {
		ins = append(ins, o.in)
		if o.err != nil {
			lvl.Failed++
			if lctx.Err() == nil || cut {
				limit, _ := lctx.Deadline()
				f := cutFailure(PhaseBurst, o, limit, "the level's time limit")
				lvl.Failures = append(lvl.Failures, f)
				vr.Failures = append(vr.Failures, f)
			}
			continue
		}
		vr.did(vms.OpCreate)
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
	lvl.SamplesNS, lvl.ReadyNS, lvl.Summary = nsList(samples), nsList(ready), Summarize(samples)
	if lvl.Until == UntilReady {
		lvl.ReadyNS = nil // the same as SamplesNS
	}
	vals := msOf(samples)
	lvl.P50MS, lvl.P99MS = nearestRank(vals, 0.50), nearestRank(vals, 0.99)
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

// BurstOf is a variant's burst sweep, whichever document it came from: a
// document written before the ladder has a single burst, read as a sweep
// of one level (Converted).
func (vr *VariantResult) BurstOf() *BurstSweep {
	if vr.BurstSweep != nil || vr.Burst == nil {
		return vr.BurstSweep
	}
	b := vr.Burst
	lvl := BurstLevel{K: b.K, Until: UntilReady, Started: b.Started, Failed: b.K - b.Started,
		SamplesNS: b.SamplesNS, Summary: b.Summary, AllNS: b.WallNS, SpawnsPerSecond: b.SpawnsPerSecond}
	if b.K > 0 {
		lvl.SuccessRate = float64(b.Started) / float64(b.K)
	}
	vals := msOf(Durations(b.SamplesNS))
	lvl.P50MS, lvl.P99MS = nearestRank(vals, 0.50), nearestRank(vals, 0.99)
	if len(b.SamplesNS) > 0 {
		minNS := b.SamplesNS[0]
		for _, v := range b.SamplesNS {
			minNS = min(minNS, v)
		}
		lvl.FirstNS = minNS
	}
	sw := &BurstSweep{Until: UntilReady, Ladder: []int{b.K}, Levels: []BurstLevel{lvl}, KneeRule: KneeRule, Converted: true}
	sw.Knee, sw.KneeNote = Knee(sw.Levels)
	return sw
}
