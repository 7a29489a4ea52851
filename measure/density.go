package measure

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/memstat"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
)

// density is the results.PhaseDensity phase.
type density struct{}

func (density) name() results.Phase                          { return results.PhaseDensity }
func (density) wanted(s results.Settings) bool               { return s.Has(results.PhaseDensity) && s.Density > 0 }
func (density) run(ctx context.Context, r *Runner, t target) { r.measureDensity(ctx, t.d, t.vr) }

const mib = 1 << 20

// measureDensity fills the host with idle sandboxes, one first and then
// batches of up to FillConcurrency (see FillBatch and PacedBatch), reading
// host memory after each batch, and takes the per-instance
// cost as the least-squares slope of memory in use against the number held
// (Capacity). Beside it, the sandboxes' own accounting: PSS of each one's
// host processes outside its memory cgroup plus the cgroup's charge, read
// once the fill is done, and the MemAvailable drop over the whole fill.
// The fill stops at the cap (Density), the time bound (DensityTime), the
// memory guard (MinAvailable), 3 failures in a row, or, unless Capacity,
// once the slope is stable (StableRule).
//
// Filling concurrently does not distort the readings: each is taken once
// every sandbox of its batch is ready and has settled, so a start's
// transient memory is not in it. It does compress the sandboxes' ages,
// so memory a runtime allocates lazily minutes after a start is missed
// alike by either method.
func (r *Runner) measureDensity(ctx context.Context, d driver.Driver, vr *results.VariantResult) {
	s := r.Settings
	t0 := time.Now()
	den := &results.Density{Requested: s.Density}
	vr.Density = den
	c := &results.Capacity{Mode: results.FillStable, Concurrency: FillBatch(s.FillConcurrency, s.Density), StopRule: results.StableRule}
	if s.Capacity {
		c.Mode, c.StopRule = results.FillGuard, "fill until the memory guard, the cap or the time bound"
	}
	den.Capacity = c
	c.KSMBefore = memstat.ReadKSM(memstat.KSMDir)
	total, availBefore, dropped, err := r.memAvailable(true)
	if err != nil {
		recordFailure(vr, results.PhaseDensity, "", err)
		return
	}
	den.MemAvailableBefore = availBefore
	den.CachesDropped = dropped
	guard := int64(float64(total) * s.MinAvailable)
	c.MemTotalBytes, c.GuardBytes = total, guard
	c.Points = append(c.Points, results.FillPoint{Held: 0, UsedBytes: total - availBefore, MemAvailableBytes: availBefore})

	var (
		mu   sync.Mutex
		held []*instance
	)
	defer func() {
		for _, err := range r.destroyEach(held, c.Concurrency) {
			recordFailure(vr, "teardown", "", err)
		}
	}()
	failures := 0
	stop := func(format string, args ...any) { den.StoppedBy = fmt.Sprintf(format, args...) }
	for ctx.Err() == nil {
		if el := time.Since(t0); el >= s.DensityTime {
			stop("time bound: %s reached with %d held", s.DensityTime, len(held))
			break
		}
		r.progress(Event{Variant: d.Variant(), Phase: results.PhaseDensity, Done: len(held), Total: s.Density})
		avail := c.Points[len(c.Points)-1].MemAvailableBytes
		// Expect the next sandbox to cost what the fill's slope says, or
		// the average so far, and at least 64 MiB before any has started.
		next := int64(64 * mib)
		if c.Fit != nil && c.Fit.Slope > 0 {
			next = int64(c.Fit.Slope * mib)
		} else if len(held) > 0 {
			if per := (availBefore - avail) / int64(len(held)); per > 0 {
				next = per
			}
		}
		batch := PacedBatch(c.Concurrency, runtime.NumCPU(), len(held), len(c.Points)-1, time.Since(t0), s.DensityTime)
		n, why := NextBatch(batch, len(held), s.Density, avail, guard, next)
		if n == 0 {
			if why == "guard" {
				c.ReachedGuard = true
				stop("memory guard: MemAvailable %d MiB would fall under %.0f%% of MemTotal (%d MiB) with another sandbox of about %d MiB",
					avail/mib, s.MinAvailable*100, guard/mib, next/mib)
			}
			break
		}
		var wg sync.WaitGroup
		var errs []error
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in, err := r.spawn(ctx, d)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				held = append(held, in)
			}()
		}
		wg.Wait()
		if ctx.Err() != nil {
			break
		}
		if len(errs) < n {
			vr.Did(vms.OpCreate)
			failures = 0
		}
		for _, err := range errs {
			recordFailure(vr, results.PhaseDensity, "", err)
			failures++
		}
		if failures >= 3 {
			stop("3 sandboxes in a row failed to start; last: %v", errs[len(errs)-1])
			break
		}
		// Let the batch's runtimes finish their start-up work (shims,
		// gofers) before the reading.
		time.Sleep(fillSettle)
		_, a, _, err := r.memAvailable(false)
		if err != nil {
			recordFailure(vr, results.PhaseDensity, "", err)
			break
		}
		c.Points = append(c.Points, results.FillPoint{Held: len(held), UsedBytes: total - a, MemAvailableBytes: a, AtNS: int64(time.Since(t0))})
		if fit, err := FitPoints(c.Points); err == nil {
			c.Fit = &fit
			if !s.Capacity && SlopeStable(fit, len(held)) {
				c.Stable = true
				stop("stable slope: %.2f MiB per sandbox [%.2f, %.2f] over %d held", fit.Slope, fit.Lo, fit.Hi, len(held))
				break
			}
		}
		if len(held) >= s.Density {
			stop("cap: %d held (--density)", len(held))
			break
		}
	}
	c.FillNS = int64(time.Since(t0))
	den.Started = len(held)
	c.Held = len(held)
	r.progress(Event{Variant: d.Variant(), Phase: results.PhaseDensity, Done: len(held), Total: s.Density, Message: "reading memory"})
	defer func() { c.WallNS = int64(time.Since(t0)) }()
	if ctx.Err() != nil || len(held) == 0 {
		return
	}
	if fit, err := FitPoints(c.Points); err != nil {
		c.Fit, c.FitError = nil, err.Error()
	} else {
		c.Fit = &fit
		c.Stable = SlopeStable(fit, len(held))
	}
	// Let the runtimes finish their asynchronous start-up work (shims,
	// gofers, lazy allocations) before the per-sandbox reading.
	time.Sleep(time.Second)
	var per []float64
	for _, in := range held {
		acct, err := sandboxMemory(ctx, in.sb, r.Settings.OpTimeout)
		if err != nil {
			recordFailure(vr, results.PhaseDensity, in.id, err)
			continue
		}
		den.PerInstanceBytes = append(den.PerInstanceBytes, acct.total)
		den.PSSBytes = append(den.PSSBytes, acct.pss)
		den.CgroupBytes = append(den.CgroupBytes, acct.cgroup)
		per = append(per, float64(acct.total)/mib)
	}
	den.PerInstanceMiB = stats.SummarizeValues(per, "MiB")
	_, availAfter, _, err := r.memAvailable(true)
	if err != nil {
		recordFailure(vr, results.PhaseDensity, "", err)
		return
	}
	c.KSMAfter = memstat.ReadKSM(memstat.KSMDir)
	den.MemAvailableAfter = availAfter
	den.DeltaPerInstanceMiB = float64(availBefore-availAfter) / float64(len(held)) / mib
	if c.Fit != nil {
		c.BySlope = results.Project("slope", c.Fit.Slope, c.Fit.Lo, c.Fit.Hi, total, availBefore, guard)
	} else {
		c.BySlope = results.Projection{Method: "slope", Cause: c.FitError}
	}
	if m := den.PerInstanceMiB; m.N > 0 {
		c.ByAccounting = results.Project("accounting", m.Median, m.Lo, m.Hi, total, availBefore, guard)
	} else {
		c.ByAccounting = results.Projection{Method: "accounting", Cause: "no sandbox's memory could be read"}
	}
	if c.Fit != nil && !c.Stable {
		c.Warnings = append(c.Warnings, fmt.Sprintf("the slope did not stabilise (±%.2f MiB over %d held): the host's other work moved MemAvailable more than the sandboxes did; the accounting is the steadier figure", c.Fit.HalfWidth(), len(held)))
	}
	if k := c.KSMAfter; k.Available && k.Run == 1 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("KSM is running (%d pages sharing): identical pages of the sandboxes are merged over time, so a fleet held longer costs less than this fill measured", k.PagesSharing))
	}
	if !dropped {
		den.Warnings = append(den.Warnings, "page cache could not be dropped (not root?): the MemAvailable delta includes cache changes")
	}
	den.Warnings = append(den.Warnings, "MemAvailable figures (the slope and the delta) count everything else the host did meanwhile: trust them on a quiet host only")
}

// FillBatch is how many sandboxes a fill starts at once: conc, but no
// more than a quarter of the cap, so that even a small fill has four
// readings above its baseline for the slope.
func FillBatch(conc, capN int) int {
	return max(1, min(conc, capN/4))
}

// FillMinReadings is how many readings above the baseline a fill tries
// to fit in its time bound: three points make a slope with an interval,
// four make one worth reading.
const FillMinReadings = 4

// PacedBatch is the size of the fill's next batch: cores sandboxes first
// (they price a sandbox for the guard and time a start; a batch no larger
// than the host's cores starts in about one start's time, as each start
// has a core), then batch, made smaller, though never below cores, when
// the pace so far (elapsed per sandbox held) would leave fewer than
// FillMinReadings readings in the time left. A slow start (QEMU under TCG
// on a busy host) then trades concurrency for readings.
func PacedBatch(batch, cores, held, readings int, elapsed, bound time.Duration) int {
	floor := max(1, min(cores, batch))
	if held == 0 {
		return floor
	}
	want := FillMinReadings - readings
	if want < 1 || elapsed >= bound {
		return batch
	}
	pace := elapsed / time.Duration(held)
	fits := int((bound - elapsed) / max(pace, time.Nanosecond))
	return max(floor, min(batch, fits/want))
}

// fillSettle is the pause between a batch's last ready line and its
// memory reading.
const fillSettle = 150 * time.Millisecond

// destroyEach tears instances down, conc at a time, and returns the errors.
func (r *Runner) destroyEach(ins []*instance, conc int) []error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, max(conc, 1))
	)
	for _, in := range ins {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := r.destroy(in); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs
}

// memAvailable reads MemTotal and MemAvailable, dropping caches first when
// asked and possible.
func (r *Runner) memAvailable(drop bool) (total, avail int64, dropped bool, err error) {
	if drop && r.Settings.DropCaches {
		dropped = memstat.DropCaches() == nil
	}
	mi, err := memstat.ReadMeminfo()
	if err != nil {
		return 0, 0, dropped, fmt.Errorf("read meminfo: %w", err)
	}
	return int64(mi.MemTotal), int64(mi.MemAvailable), dropped, nil
}

type memAccount struct{ total, pss, cgroup int64 }

// sandboxMemory accounts one sandbox's host memory: the cgroup's charge
// covers the processes inside it, so only processes outside it add their
// PSS; without a cgroup, PSS of every process is the figure.
//
// Each call into the driver has its own deadline of timeout: a hung runtime
// or daemon becomes a timeout-class failure of that sandbox's reading.
func sandboxMemory(ctx context.Context, sb driver.Sandbox, timeout time.Duration) (memAccount, error) {
	var a memAccount
	pidCtx, cancel := context.WithTimeout(ctx, timeout)
	pids, err := sb.HostPIDs(pidCtx)
	err = driver.TimedOut(pidCtx, err)
	cancel()
	if err != nil {
		return a, fmt.Errorf("host processes of %s: %w", sb.ID(), err)
	}
	cgCtx, cancel := context.WithTimeout(ctx, timeout)
	cg, err := sb.MemoryCgroup(cgCtx)
	err = driver.TimedOut(cgCtx, err)
	cancel()
	if err != nil {
		return a, fmt.Errorf("memory cgroup of %s: %w", sb.ID(), err)
	}
	if cg != "" {
		cm, err := memstat.ReadCgroupMemory(cg)
		if err != nil {
			return a, fmt.Errorf("cgroup memory of %s: %w", sb.ID(), err)
		}
		a.cgroup = int64(cm.Charged)
	}
	a.total = a.cgroup
	for _, pid := range pids {
		pss, err := memstat.PSS(pid)
		if err != nil {
			continue // a process that ended meanwhile costs nothing now
		}
		a.pss += int64(pss)
		if cg != "" {
			if own, err := memstat.FindMemoryCgroup(pid); err == nil && own == cg {
				continue
			}
		}
		a.total += int64(pss)
	}
	return a, nil
}
