package measure

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
)

// snapshot is the results.PhaseSnapshot phase.
type snapshot struct{}

func (snapshot) name() results.Phase                          { return results.PhaseSnapshot }
func (snapshot) wanted(s results.Settings) bool               { return s.Has(results.PhaseSnapshot) }
func (snapshot) run(ctx context.Context, r *Runner, t target) { r.measureSnapshot(ctx, t.d, t.vr) }

// measureSnapshot branches a warm sandbox: the probe holds a random token in
// memory; the harness snapshots the sandbox, restores it once, then forks
// it Forks times from the same snapshot, all held at once, and then, one at
// a time, restores it again under the run's Sampling rule until the
// restores' median is known within its precision (or the budget's ceiling
// is reached). Each restore is timed to the restored probe's answer and
// counts only if the probe still holds the token. A snapshot that fails
// here is itself the result.
func (r *Runner) measureSnapshot(ctx context.Context, d driver.Driver, vr *results.VariantResult) {
	res := &results.SnapshotResult{}
	vr.Snapshot = res
	sn, ok := d.(driver.Restorer)
	if !ok || !vr.Capabilities.Snapshot {
		res.Cause = fmt.Sprintf("driver %s cannot snapshot a running sandbox", d.Variant())
		if why := vr.Fingerprint.Details["snapshot"]; why != "" {
			res.Cause += ": " + why
		}
		return
	}
	res.Supported = true
	total := 2 + r.Settings.Forks
	r.progress(Event{Variant: d.Variant(), Phase: results.PhaseSnapshot, Done: 0, Total: total, Message: "warm sandbox"})
	src, err := r.spawn(ctx, d)
	if err != nil {
		if ctx.Err() == nil {
			snapshotFailed(res, "could not start the sandbox to snapshot", err)
		}
		return
	}
	vr.Did(vms.OpCreate)
	srcLive := true
	defer func() {
		if srcLive {
			if _, err := r.destroy(src); err != nil {
				recordFailure(vr, "teardown", src.id, err)
			}
		}
	}()
	token, err := randomToken()
	if err != nil {
		snapshotFailed(res, "token", err)
		return
	}
	opCtx, cancel := context.WithTimeout(ctx, r.Settings.OpTimeout)
	defer cancel()
	if _, err := src.stream.Request(opCtx, "token", "set", token); err != nil {
		snapshotFailed(res, "could not hand the probe its token", driver.TimedOut(opCtx, err))
		return
	}
	snapDir := filepath.Join(r.runDir, src.id+"-snapshot")
	if err := os.Mkdir(snapDir, 0o700); err != nil {
		snapshotFailed(res, "snapshot dir", err)
		return
	}
	defer os.RemoveAll(snapDir)
	r.progress(Event{Variant: d.Variant(), Phase: results.PhaseSnapshot, Done: 0, Total: total, Message: "snapshot"})
	t0 := time.Now()
	ss, ok := src.sb.(driver.Snapshotter)
	if !ok {
		res.Cause = fmt.Sprintf("driver %s offers snapshots, but its sandbox %s cannot take one", d.Variant(), src.id)
		return
	}
	// The snapshot has its own deadline, apart from the token's request.
	snapCtx, cancelSnap := context.WithTimeout(ctx, r.Settings.OpTimeout)
	defer cancelSnap()
	snap, err := ss.Snapshot(snapCtx, snapDir)
	if err != nil {
		err = driver.TimedOut(snapCtx, err)
		snapshotFailed(res, "snapshot failed on this host", err)
		recordFailure(vr, results.PhaseSnapshot, src.id, err)
		return
	}
	res.SnapshotNS = int64(time.Since(t0))
	res.SnapshotBytes = snap.Bytes
	if res.SnapshotBytes == 0 {
		res.SnapshotBytes = dirSize(snapDir)
	}
	vr.Did(vms.OpSnapshot)
	// The source may be stopped by the snapshot; it is not needed further.
	srcLive = false
	if _, err := r.destroy(src); err != nil {
		recordFailure(vr, "teardown", src.id, err)
	}

	var restores []time.Duration
	var sp *stats.Sampler
	restoreOne := func() *instance {
		in, err := r.restore(ctx, sn, snap, src.args)
		if err != nil {
			if ctx.Err() == nil {
				res.FailedRestores++
				recordFailure(vr, results.PhaseSnapshot, "", err)
			}
			return nil
		}
		restores = append(restores, in.latency())
		sp.Add(float64(in.latency()))
		ctx2, cancel := context.WithTimeout(ctx, r.Settings.OpTimeout)
		defer cancel()
		msg, err := in.stream.Request(ctx2, "token", "get")
		switch {
		case err != nil:
			res.FailedRestores++
			recordFailure(vr, results.PhaseSnapshot, in.id, fmt.Errorf("restored probe did not answer token get: %w", driver.TimedOut(ctx2, err)))
		case strings.TrimSpace(msg.Payload) != token:
			res.FailedRestores++
			recordFailure(vr, results.PhaseSnapshot, in.id, fmt.Errorf("restored probe holds token %q, not the one set before the snapshot: the restore lost memory state", msg.Payload))
		default:
			res.Verified++
		}
		return in
	}
	// One restore, then the forks held together (branches coexist), then
	// single restores until the sampling rule stops.
	sp = sampling(r.Settings, r.Settings.Samples).Begin()
	r.progress(Event{Variant: d.Variant(), Phase: results.PhaseSnapshot, Done: 1, Total: total, Message: "restore"})
	if in := restoreOne(); in != nil {
		vr.Did(vms.OpRestore)
		if _, err := r.destroy(in); err != nil {
			recordFailure(vr, "teardown", in.id, err)
		}
	}
	var forks []*instance
	for i := 0; i < r.Settings.Forks && ctx.Err() == nil; i++ {
		r.progress(Event{Variant: d.Variant(), Phase: results.PhaseSnapshot, Done: 2 + i, Total: total, Message: "fork"})
		if in := restoreOne(); in != nil {
			forks = append(forks, in)
		}
	}
	res.Forks = len(forks)
	if len(forks) >= 2 && res.FailedRestores == 0 {
		vr.Did(vms.OpFork)
	}
	for _, in := range forks {
		if _, err := r.destroy(in); err != nil {
			recordFailure(vr, "teardown", in.id, err)
		}
	}
	// Further restores only while every one so far verified: a failing
	// restore is the result, not noise to sample past.
	for ctx.Err() == nil && len(restores) > 0 && res.FailedRestores == 0 && sp.More() {
		r.progress(Event{Variant: d.Variant(), Phase: results.PhaseSnapshot, Done: len(restores) + 1, Total: max(total, len(restores)+1), Message: "restore"})
		if in := restoreOne(); in != nil {
			if _, err := r.destroy(in); err != nil {
				recordFailure(vr, "teardown", in.id, err)
			}
		}
	}
	if res.FailedRestores > 0 {
		sp.Halt(stats.StopFailures, fmt.Sprintf("%d restores failed", res.FailedRestores))
	}
	if ctx.Err() != nil {
		sp.Halt(stats.StopInterrupted, "the run was interrupted")
	}
	if len(restores) > 0 {
		res.Stop = sp.Result()
	}
	res.RestoreNS = nsList(restores)
	res.Restore = stats.Summarize(restores)
	r.progress(Event{Variant: d.Variant(), Phase: results.PhaseSnapshot, Done: total, Total: total})
}

// snapshotFailed records why the snapshot could not be measured, with the class of
// the cause: only a runtime-class cause is the measured result for the axis.
func snapshotFailed(res *results.SnapshotResult, what string, err error) {
	res.CauseClass = Classify(err)
	switch res.CauseClass {
	case results.ClassEnvironment:
		res.Cause = fmt.Sprintf("%s: the host got in the way, not the runtime: %v", what, err)
	case results.ClassTimeout:
		res.Cause = fmt.Sprintf("%s: timed out: %v", what, err)
	default:
		res.Cause = fmt.Sprintf("%s: %v", what, err)
	}
}

func randomToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}
