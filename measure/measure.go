package measure

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/probe"
	"github.com/agentic-eval/agentic-eval/reap"
	"github.com/agentic-eval/agentic-eval/results"
)

// Run measures each driver in turn and returns the run's document. It
// returns early, keeping what was measured, when ctx ends (an interrupt);
// in every case everything the run created is destroyed before it returns.
// Unavailable drivers are recorded with their fingerprint and not measured.
func (r *Runner) Run(ctx context.Context, drivers []driver.Driver) (*results.Results, error) {
	if err := r.Settings.Validate(); err != nil {
		return nil, err
	}
	if r.Probe == "" {
		return nil, errors.New("no probe binary: build one with BuildProbe")
	}
	res := &results.Results{Schema: results.Schema, Revision: results.Revision, Tool: results.ToolInfo(), RunID: r.runID, Started: time.Now().UTC(), Settings: r.Settings}
	hctx, cancel := context.WithTimeout(ctx, r.Settings.OpTimeout)
	hi, err := host.Collect(hctx)
	cancel()
	if err != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("host facts incomplete: %v", err))
	}
	res.Host = hi
	// "ae-<run>_scratch": distinct from the sandboxes' "ae-<run>-<n>"
	// names, which appear inside it in bundle paths. Its name is known
	// before it exists, so that the ledger records it first.
	parent := r.Dir
	if parent == "" {
		parent = os.TempDir()
	}
	parent, err = filepath.Abs(parent)
	if err != nil {
		return nil, fmt.Errorf("run dir: %w", err)
	}
	dir := filepath.Join(parent, r.Prefix()+"_scratch")
	if r.LedgerDir != "" {
		var names []string
		for _, d := range drivers {
			names = append(names, d.Variant())
		}
		l, err := reap.OpenLedger(r.LedgerDir, reap.LedgerEntry{RunID: r.runID, Started: res.Started, Drivers: names, ScratchDir: dir, BootID: hi.BootID})
		if err != nil {
			return nil, fmt.Errorf("record the run in %s (set AGENTIC_EVAL_STATE to a writable directory): %w", r.LedgerDir, err)
		}
		r.ledger = l
		defer func() {
			if r.dirty.Load() {
				l.Close()
				r.logf("run %s: something may be left; its ledger stays in %s for `agentic-eval vms reap`", r.runID, r.LedgerDir)
				return
			}
			if err := l.Remove(); err != nil {
				r.logf("run %s: %v", r.runID, err)
			}
		}()
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("run dir: %w", err)
	}
	r.runDir = dir
	defer func() {
		if err := os.RemoveAll(dir); err != nil {
			r.dirty.Store(true)
		}
	}()
	r.logf("run %s: every object it creates is named %s-*; scratch in %s", r.runID, r.Prefix(), dir)
	if r.Started != nil {
		r.Started(r.runID)
	}
	hostID := probe.HostIdentity{BootID: hi.BootID, KernelRelease: hi.KernelRelease}
	for _, d := range drivers {
		if ctx.Err() != nil {
			break
		}
		vr := r.runDriver(ctx, d, hostID)
		res.Systems = append(res.Systems, vr)
	}
	res.Interrupted = ctx.Err() != nil
	res.Finished = time.Now().UTC()
	return res, nil
}

// runDriver measures one driver, always cleaning up after it.
func (r *Runner) runDriver(ctx context.Context, d driver.Driver, hostID probe.HostIdentity) (vr results.VariantResult) {
	vr = results.VariantResult{System: d.System(), Variant: d.Variant()}
	if fp, ok := r.Fingerprints[d.Variant()]; ok {
		vr.Fingerprint = fp
	} else {
		fpCtx, cancel := context.WithTimeout(ctx, r.Settings.OpTimeout)
		vr.Fingerprint = d.Fingerprint(fpCtx)
		cancel()
	}
	// Capabilities are static data: what the driver can attempt. Whether
	// an ability works here is what its attempt finds out.
	vr.Capabilities = d.Capabilities()
	if !vr.Fingerprint.Available {
		r.logf("%s: unavailable: %s", d.Variant(), vr.Fingerprint.Reason)
		return vr
	}
	began := time.Now()
	vr.PhaseNS = map[string]int64{}
	defer func() {
		t := time.Now()
		r.cleanupDriver(d, &vr)
		vr.PhaseNS["cleanup"] = int64(time.Since(t))
		vr.ElapsedNS = int64(time.Since(began))
	}()
	if p, ok := d.(driver.Preparer); ok {
		t := time.Now()
		pctx, cancel := context.WithTimeout(ctx, r.Settings.OpTimeout)
		env := driver.RunEnv{RunID: r.runID, Probe: r.Probe, Dir: r.runDir}
		if s := r.Settings; s.UsesImage() && vr.Capabilities.Image {
			env.Image = r.Image
		}
		err := p.Prepare(pctx, env)
		cancel()
		vr.PhaseNS["prepare"] = int64(time.Since(t))
		if err != nil {
			recordFailure(&vr, "prepare", "", fmt.Errorf("prepare %s: %w", d.Variant(), err))
			return vr
		}
	}
	t := target{d: d, vr: &vr, hostID: hostID}
	never := ""
	for _, ph := range phases {
		if !ph.wanted(r.Settings) || ctx.Err() != nil {
			continue
		}
		if never != "" {
			// Every phase starts sandboxes; none can start here.
			vr.Failures = append(vr.Failures, results.Failure{Phase: string(ph.name()), Cause: never, Class: results.ClassRuntime})
			continue
		}
		r.logf("%s: %s", d.Variant(), ph.name())
		t0 := time.Now()
		ph.run(ctx, r, t)
		vr.PhaseNS[string(ph.name())] = int64(time.Since(t0))
		if ph.name() == results.PhaseStartLatency {
			never = neverStarts(&vr)
		}
	}
	return vr
}

// neverStarts says why the later phases are not attempted when the
// start-latency phase started no sandbox at all and gave up on runtime
// failures (the runtime cannot start a sandbox on this host): each later
// phase is then recorded as that same runtime failure, without spending its
// budget failing again. "" when some sandbox started, or when a failure was
// the environment's or a timeout (those say nothing of the runtime).
func neverStarts(vr *results.VariantResult) string {
	if vr.StartLatency != nil && len(vr.StartLatency.SamplesNS) > 0 {
		return ""
	}
	var first string
	n := 0
	for _, f := range vr.Failures {
		if f.Phase != string(results.PhaseStartLatency) {
			continue
		}
		if !f.Class.Scored() {
			return ""
		}
		if first == "" && f.Sandbox != "" {
			first = f.Cause
		}
		n++
	}
	if n < 3 || first == "" {
		return ""
	}
	return fmt.Sprintf("not attempted: no sandbox of this variant started here (%d start-latency failures, the first: %s)", n, first)
}

// cleanupDriver destroys every sandbox still held, closes the driver's
// per-run state and sweeps anything of the run the driver can still find.
func (r *Runner) cleanupDriver(d driver.Driver, vr *results.VariantResult) {
	r.spare = nil // destroyed below with everything else still held
	destroyErrs := r.destroyAll()
	for _, err := range destroyErrs {
		recordFailure(vr, "teardown", "", err)
	}
	if _, ok := d.(driver.Reaper); !ok && len(destroyErrs) > 0 {
		r.dirty.Store(true)
	}
	if p, ok := d.(driver.Preparer); ok {
		ctx, cancel := r.cleanupCtx()
		if err := p.Close(ctx); err != nil {
			recordFailure(vr, "teardown", "", fmt.Errorf("close %s: %w", d.Variant(), err))
		}
		cancel()
	}
	if sw, ok := d.(driver.Reaper); ok {
		// Listing and sweeping have a deadline each.
		ctx, cancel := r.cleanupCtx()
		left, err := sw.Leftovers(ctx, r.Prefix())
		cancel()
		if err != nil {
			r.dirty.Store(true)
		}
		if err == nil && len(left) > 0 {
			recordFailure(vr, "teardown", "", fmt.Errorf("reaped leftovers: %v", left))
			ctx, cancel := r.cleanupCtx()
			defer cancel()
			if err := sw.Reap(ctx, r.Prefix()); err != nil {
				r.dirty.Store(true)
				recordFailure(vr, "teardown", "", fmt.Errorf("reap %s: %w", d.Variant(), err))
			}
		}
	}
}
