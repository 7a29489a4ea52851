package measure

import (
	"context"
	"fmt"
	"time"

	"github.com/agentic-eval/agentic-eval/memstat"
	"github.com/agentic-eval/agentic-eval/vms"
)

const mib = 1 << 20

// measureDensity holds N idle sandboxes at once and reports the host memory
// each costs, by two methods side by side: the sandbox's own accounting
// (PSS of its host processes outside its memory cgroup plus the cgroup's
// charge) and the drop in MemAvailable. A guard stops adding sandboxes
// before MemAvailable would fall under the floor.
func (r *Runner) measureDensity(ctx context.Context, d Driver, vr *VariantResult) {
	s := r.Settings
	den := &Density{Requested: s.Density}
	vr.Density = den
	total, availBefore, dropped, err := r.memAvailable(true)
	if err != nil {
		vr.fail(PhaseDensity, "", err)
		return
	}
	den.MemAvailableBefore = availBefore
	den.CachesDropped = dropped
	floor := int64(float64(total) * s.MinAvailable)

	var held []*instance
	defer func() {
		for _, in := range held {
			if _, err := r.destroy(in); err != nil {
				vr.fail("teardown", in.id, err)
			}
		}
	}()
	failures := 0
	for i := 0; i < s.Density && ctx.Err() == nil; i++ {
		r.progress(Event{Variant: d.Variant(), Phase: PhaseDensity, Done: i, Total: s.Density})
		_, avail, _, err := r.memAvailable(false)
		if err != nil {
			vr.fail(PhaseDensity, "", err)
			break
		}
		// Expect the next sandbox to cost what the previous ones did on
		// average, and at least 64 MiB before any has started.
		next := int64(64 * mib)
		if len(held) > 0 {
			if per := (availBefore - avail) / int64(len(held)); per > 0 {
				next = per
			}
		}
		if avail-next < floor {
			den.StoppedBy = fmt.Sprintf("memory guard: MemAvailable %d MiB would fall under %.0f%% of MemTotal (%d MiB) with another sandbox of about %d MiB",
				avail/mib, s.MinAvailable*100, floor/mib, next/mib)
			break
		}
		in, err := r.spawn(ctx, d)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			vr.fail(PhaseDensity, "", err)
			failures++
			if failures >= 3 {
				den.StoppedBy = fmt.Sprintf("3 sandboxes failed to start; last: %v", err)
				break
			}
			continue
		}
		vr.did(vms.OpCreate)
		held = append(held, in)
	}
	den.Started = len(held)
	r.progress(Event{Variant: d.Variant(), Phase: PhaseDensity, Done: len(held), Total: s.Density, Message: "reading memory"})
	if ctx.Err() != nil || len(held) == 0 {
		return
	}
	// Let the runtimes finish their asynchronous start-up work (shims,
	// gofers, lazy allocations) before reading.
	time.Sleep(time.Second)
	var per []float64
	for _, in := range held {
		acct, err := sandboxMemory(ctx, in.sb, r.Settings.OpTimeout)
		if err != nil {
			vr.fail(PhaseDensity, in.id, err)
			continue
		}
		den.PerInstanceBytes = append(den.PerInstanceBytes, acct.total)
		den.PSSBytes = append(den.PSSBytes, acct.pss)
		den.CgroupBytes = append(den.CgroupBytes, acct.cgroup)
		per = append(per, float64(acct.total)/mib)
	}
	den.PerInstanceMiB = SummarizeValues(per, "MiB")
	_, availAfter, _, err := r.memAvailable(true)
	if err != nil {
		vr.fail(PhaseDensity, "", err)
		return
	}
	den.MemAvailableAfter = availAfter
	den.DeltaPerInstanceMiB = float64(availBefore-availAfter) / float64(len(held)) / mib
	if !dropped {
		den.Warnings = append(den.Warnings, "page cache could not be dropped (not root?): the MemAvailable delta includes cache changes")
	}
	den.Warnings = append(den.Warnings, "the MemAvailable delta counts everything else the host did meanwhile: trust it on a quiet host only")
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
func sandboxMemory(ctx context.Context, sb Sandbox, timeout time.Duration) (memAccount, error) {
	var a memAccount
	pidCtx, cancel := context.WithTimeout(ctx, timeout)
	pids, err := sb.HostPIDs(pidCtx)
	err = timeoutCause(pidCtx, err)
	cancel()
	if err != nil {
		return a, fmt.Errorf("host processes of %s: %w", sb.ID(), err)
	}
	cgCtx, cancel := context.WithTimeout(ctx, timeout)
	cg, err := sb.MemoryCgroup(cgCtx)
	err = timeoutCause(cgCtx, err)
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
