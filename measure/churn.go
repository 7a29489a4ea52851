package measure

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/residue"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
	"github.com/agentic-eval/agentic-eval/workload"
)

// churn is the results.PhaseChurn phase.
type churn struct{}

func (churn) name() results.Phase                          { return results.PhaseChurn }
func (churn) wanted(s results.Settings) bool               { return s.Has(results.PhaseChurn) && s.Churn > 0 }
func (churn) run(ctx context.Context, r *Runner, t target) { r.measureChurn(ctx, t.d, t.vr) }

// measureChurn runs create, workload, destroy cycles until Settings.Churn
// cycles or Settings.ChurnTime, whichever first, and compares the host
// before and after. The time budget does not stop a loop before the
// DriftMinCycles that the drift test needs when they fit in
// ChurnFloorFactor budgets; past that the loop stops and its warning says
// how long the test would take on this variant.
func (r *Runner) measureChurn(ctx context.Context, d driver.Driver, vr *results.VariantResult) {
	s := r.Settings
	t0 := time.Now()
	c := &results.Churn{Requested: s.Churn, BudgetNS: int64(s.ChurnTime), Workload: "ping"}
	vr.Churn = c
	defer func() { c.WallNS = int64(time.Since(t0)) }()
	var w workload.Workload
	onImage := false
	switch {
	case !vr.Capabilities.Image:
		c.WorkloadCause = fmt.Sprintf("driver %s does not run a sandbox on an image yet: each cycle pings the probe", d.Variant())
	case r.Image.IsZero():
		c.WorkloadCause = "no sandbox image (run scripts/setup.sh): each cycle pings the probe"
	default:
		var err error
		if w, err = workload.Lookup(workload.PythonHello); err != nil {
			c.WorkloadCause = err.Error()
		} else {
			onImage = true
			c.Workload = w.Name
		}
	}
	cycle := func() (sample churnSample, err error) {
		var in *instance
		if onImage {
			in, err = r.spawnOnImage(ctx, d)
		} else {
			in, err = r.spawn(ctx, d)
		}
		if err != nil {
			return sample, err
		}
		vr.Did(vms.OpCreate)
		if onImage {
			_, _, err = r.runOnce(ctx, in, w)
		} else {
			opCtx, cancel := context.WithTimeout(ctx, s.OpTimeout)
			_, err = in.stream.Request(opCtx, "ping")
			err = driver.TimedOut(opCtx, err)
			cancel()
			if err != nil {
				err = fmt.Errorf("ping %s: %w", in.id, err)
			}
		}
		done := time.Now()
		td, derr := r.destroy(in)
		if derr != nil {
			recordFailure(vr, "teardown", in.id, derr)
			return sample, errors.Join(err, derr)
		}
		vr.Did(vms.OpDestroy)
		sample = churnSample{ready: in.latency(), result: done.Sub(in.requested), teardown: td, cycle: time.Since(in.requested)}
		return sample, err
	}
	// One cycle, not counted (but inside the time budget), before the
	// host's state is taken: what a runtime makes once and keeps for the
	// run (a parent cgroup, a shared namespace mount, an image's layers)
	// is then in both states, not taken for the loop's growth.
	loop := time.Now()
	if _, err := cycle(); err != nil && ctx.Err() == nil {
		c.Warnings = append(c.Warnings, fmt.Sprintf("the warm-up cycle failed: %v", err))
	}
	before, err := r.hostState(ctx, d)
	if err != nil {
		c.HostStateError = fmt.Sprintf("before the loop: %v", err)
	} else {
		c.Before = &before
	}
	var ready, result, teardown, cycles []time.Duration
	consecutive := 0
	for i := 0; ; i++ {
		switch {
		case ctx.Err() != nil:
			c.StoppedBy = "interrupted"
		case i >= s.Churn:
			c.StoppedBy = fmt.Sprintf("count: %d cycles", s.Churn)
		case time.Since(loop) >= s.ChurnTime:
			// The budget does not end a loop too short for the drift test
			// when the cycles it lacks are cheap (the whole loop within
			// ChurnFloorFactor budgets); an expensive one stops and says
			// what the test would take.
			spent := time.Since(loop)
			need := churnNeed(spent, i+1)
			if len(result) < stats.DriftMinCycles && c.Failed == 0 && need <= ChurnFloorFactor*s.ChurnTime {
				break
			}
			c.StoppedBy = fmt.Sprintf("time budget: %s", s.ChurnTime)
			if len(result) < stats.DriftMinCycles {
				c.Warnings = append(c.Warnings, fmt.Sprintf("too few cycles for a drift test: %d in %s, and the test needs %d, about %s of cycles here (--churn-time %s)",
					len(result), spent.Round(100*time.Millisecond), stats.DriftMinCycles, need.Round(time.Second), need.Round(time.Second)))
			}
		}
		if c.StoppedBy != "" {
			break
		}
		if i%10 == 0 {
			r.progress(Event{Variant: d.Variant(), Phase: results.PhaseChurn, Done: i, Total: s.Churn})
		}
		sample, err := cycle()
		if err != nil {
			if ctx.Err() != nil {
				continue // the switch above records the interrupt
			}
			c.Failed++
			recordFailure(vr, results.PhaseChurn, "", err)
			if consecutive++; consecutive >= 3 {
				c.StoppedBy = fmt.Sprintf("3 cycles in a row failed; last: %v", err)
				break
			}
			continue
		}
		consecutive = 0
		ready = append(ready, sample.ready)
		result = append(result, sample.result)
		teardown = append(teardown, sample.teardown)
		cycles = append(cycles, sample.cycle)
	}
	c.Cycles = len(result)
	c.ReadyNS, c.ResultNS, c.TeardownNS, c.CycleNS = nsList(ready), nsList(result), nsList(teardown), nsList(cycles)
	c.Result, c.Teardown, c.Cycle = stats.Summarize(result), stats.Summarize(teardown), stats.Summarize(cycles)
	series := "first-result"
	if !onImage {
		series = "ping"
	}
	c.Drift = []stats.Drift{stats.DriftOf(series, stats.Millis(result), "ms"), stats.DriftOf("teardown", stats.Millis(teardown), "ms")}
	r.progress(Event{Variant: d.Variant(), Phase: results.PhaseChurn, Done: s.Churn, Total: s.Churn, Message: "host residue"})
	if ctx.Err() != nil {
		return // the run's teardown and reap take over; no after-state of a half loop
	}
	if st, ok := d.(driver.Settler); ok {
		sctx, cancel := context.WithTimeout(ctx, s.OpTimeout)
		if err := st.Settle(sctx); err != nil {
			c.Warnings = append(c.Warnings, fmt.Sprintf("settle %s before the after-state: %v", d.Variant(), err))
		}
		cancel()
	}
	after, err := r.hostState(ctx, d)
	if err != nil {
		c.HostStateError = fmt.Sprintf("after the loop: %v", err)
		return
	}
	c.After = &after
	if c.Before != nil {
		diff := residue.CompareHost(*c.Before, after)
		c.Residue = &diff
		if len(diff.Own) > 0 {
			recordFailure(vr, results.PhaseChurn, "", fmt.Errorf("the churn loop left %d objects of the run: %v", len(diff.Own), diff.Own))
		}
		if hostWide := len(diff.Findings) - len(diff.Own); hostWide > 0 {
			for _, dr := range c.Drift {
				if dr.Verdict == stats.DriftSlower || dr.Verdict == stats.DriftFaster {
					c.Warnings = append(c.Warnings, fmt.Sprintf("%s drifted while the host changed in %d other ways (see the residue's findings): the drift may be the neighbours'; re-run on a quiet host", dr.Series, hostWide))
				}
			}
		}
	}
	c.Warnings = append(c.Warnings, "host-wide figures (MemAvailable, daemons, mounts, cgroups, state entries) move with everything else on the host: a growth there is a finding to re-check on a quiet host; what carries the run's prefix is the run's alone")
}

// ChurnFloorFactor is how many times its budget a churn loop may take to
// reach DriftMinCycles: a container's ten cycles are a second, and come
// whatever the budget; a software-emulated VM's would be half a minute,
// and its loop stops at the budget and says so.
const ChurnFloorFactor = 5

// churnNeed is the time a loop that spent spent on cycles cycles (the
// warm-up among them) would take to its first DriftMinCycles counted, the
// warm-up included, at the same pace.
func churnNeed(spent time.Duration, cycles int) time.Duration {
	return spent / time.Duration(max(cycles, 1)) * time.Duration(stats.DriftMinCycles+1)
}

// churnSample is one cycle's times, each from the request but the
// teardown's own.
type churnSample struct{ ready, result, teardown, cycle time.Duration }

// hostState is the host's state for the churn comparison: counts, the
// run's own objects found by prefix, and what the driver still lists of
// the run (its Reaper), each under a deadline.
func (r *Runner) hostState(ctx context.Context, d driver.Driver) (residue.HostState, error) {
	q := residue.HostQuery{Prefix: r.Prefix() + "-"}
	if r.runDir != "" {
		q.Globs = []string{filepath.Join(r.runDir, r.Prefix()+"-*")}
	}
	type res struct {
		st  residue.HostState
		err error
	}
	done := make(chan res, 1)
	go func() {
		st, err := residue.TakeHostState(q)
		done <- res{st, err}
	}()
	opCtx, cancel := context.WithTimeout(ctx, r.Settings.OpTimeout)
	defer cancel()
	var st residue.HostState
	select {
	case x := <-done:
		if x.err != nil {
			return st, x.err
		}
		st = x.st
	case <-opCtx.Done():
		return st, driver.TimedOut(opCtx, fmt.Errorf("read the host's state: %w", opCtx.Err()))
	}
	if sw, ok := d.(driver.Reaper); ok {
		left, err := sw.Leftovers(opCtx, r.Prefix())
		if err != nil {
			return st, fmt.Errorf("%s leftovers: %w", d.Variant(), driver.TimedOut(opCtx, err))
		}
		for _, l := range left {
			st.Own = append(st.Own, d.Variant()+": "+l)
		}
	}
	return st, nil
}
