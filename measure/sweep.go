package measure

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/vms"
	"github.com/agentic-eval/agentic-eval/workload"
)

// The concurrency sweeps (the burst ladder and the open-loop arrivals)
// share what this file holds: what each spawn is timed until, the spawn
// itself, the percentiles of a level and the memory guard.

// SweepUntil is the endpoint a sweep times each spawn until: UntilReady,
// or the name of a workload whose first verified result ends the spawn
// (workload.PythonHello by default, where the driver runs the image).
func (r *Runner) sweepUntil(vr *results.VariantResult) (name string, w workload.Workload, why string) {
	want := r.Settings.SweepUntil
	if want == "" || want == results.UntilReady {
		return results.UntilReady, workload.Workload{}, ""
	}
	if !vr.Capabilities.Image {
		return results.UntilReady, workload.Workload{}, fmt.Sprintf("timed to the ready line, not %s: the driver runs no image", want)
	}
	if r.Image.IsZero() {
		return results.UntilReady, workload.Workload{}, fmt.Sprintf("timed to the ready line, not %s: no sandbox image (run scripts/setup.sh)", want)
	}
	w, err := workload.Lookup(want)
	if err != nil || w.Argv == nil {
		return results.UntilReady, workload.Workload{}, fmt.Sprintf("timed to the ready line: %q is not a workload that runs", want)
	}
	return w.Name, w, ""
}

// spawnTimes is one spawn of a reap: when it was due, requested, ready,
// and done (ready, or its workload's verified result).
type spawnTimes struct {
	due, requested, ready, done time.Time
	end                         time.Time // when the attempt returned
	in                          *instance
	err                         error
}

// sweepSpawn starts one sandbox (on the image when w runs) and, when w
// runs, its first verified result. The sandbox stays live in t.in, for the
// caller to destroy, unless it failed.
func (r *Runner) sweepSpawn(ctx context.Context, d driver.Driver, w workload.Workload) (t spawnTimes) {
	defer func() { t.end = time.Now() }()
	var in *instance
	var err error
	if w.Argv == nil {
		in, err = r.spawn(ctx, d)
	} else {
		in, err = r.spawnOnImage(ctx, d)
	}
	if err != nil {
		t.err = err
		return t
	}
	t.in, t.requested, t.ready, t.done = in, in.requested, in.ready, in.ready
	if w.Argv != nil {
		if _, _, err := r.runOnce(ctx, in, w); err != nil {
			t.err = fmt.Errorf("%s in %s: %w", w.Name, in.id, err)
			t.done = time.Time{}
			return t
		}
		t.done = time.Now()
	}
	return t
}

// cutFailure is the failure of an attempt that a reap's own time limit
// cut short (it ended at or after limit): a timeout, whatever error the
// runtime gave on being cancelled.
func cutFailure(phase results.Phase, t spawnTimes, limit time.Time, what string) results.Failure {
	f := failureOf(phase, "", t.err)
	if !t.end.Before(limit) {
		f.Cause = fmt.Sprintf("cut at %s: %s", what, f.Cause)
		f.Class = results.ClassTimeout
	}
	if t.in != nil {
		f.Sandbox = t.in.id
	}
	return f
}

// destroyLevel destroys the sandboxes of a level, a few at a time, and
// records teardown failures.
func (r *Runner) destroyLevel(vr *results.VariantResult, mu *sync.Mutex, ins []*instance) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, in := range ins {
		if in == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := r.destroy(in)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				recordFailure(vr, "teardown", in.id, err)
			} else {
				vr.Did(vms.OpDestroy)
			}
		}()
	}
	wg.Wait()
}

// memoryGuard caps how many sandboxes may be held at once so that
// MemAvailable stays above Settings.MinAvailable of MemTotal, as density's
// guard does: each sandbox is expected to cost perSandbox (at least
// 64 MiB until a level has been seen).
type memoryGuard struct {
	floor, total int64
	perSandbox   int64
}

func (r *Runner) newMemoryGuard() (*memoryGuard, error) {
	total, _, _, err := r.memAvailable(false)
	if err != nil {
		return nil, err
	}
	return &memoryGuard{total: total, floor: int64(float64(total) * r.Settings.MinAvailable), perSandbox: 64 * mib}, nil
}

// fits is how many more sandboxes fit now, and MemAvailable.
func (g *memoryGuard) fits(r *Runner) (int, int64, error) {
	_, avail, _, err := r.memAvailable(false)
	if err != nil {
		return 0, 0, err
	}
	n := (avail - g.floor) / g.perSandbox
	if n < 0 {
		n = 0
	}
	return int(min(n, math.MaxInt32)), avail, nil
}

// observe raises the per-sandbox estimate to what held sandboxes cost:
// MemAvailable before them minus with them, per sandbox.
func (g *memoryGuard) observe(before, with int64, held int) {
	if held > 0 {
		if per := (before - with) / int64(held); per > g.perSandbox {
			g.perSandbox = per
		}
	}
}

func (g *memoryGuard) describe(avail int64, r *Runner) string {
	return fmt.Sprintf("MemAvailable %d MiB, floor %.0f%% of MemTotal (%d MiB), about %d MiB per sandbox",
		avail/mib, r.Settings.MinAvailable*100, g.floor/mib, g.perSandbox/mib)
}
