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
	"github.com/agentic-eval/agentic-eval/vms"
)

// measureSnapshot branches a warm sandbox: the probe holds a random token in
// memory; the harness snapshots the sandbox, restores it once, then forks
// it Forks times from the same snapshot, all held at once, and then, one at
// a time, restores it again under the run's Sampling rule until the
// restores' median is known within its precision (or the budget's ceiling
// is reached). Each restore is timed to the restored probe's answer and
// counts only if the probe still holds the token. A snapshot that fails
// here is itself the result.
func (r *Runner) measureSnapshot(ctx context.Context, d driver.Driver, vr *VariantResult) {
	res := &SnapshotResult{}
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
	r.progress(Event{Variant: d.Variant(), Phase: PhaseSnapshot, Done: 0, Total: total, Message: "warm sandbox"})
	src, err := r.spawn(ctx, d)
	if err != nil {
		if ctx.Err() == nil {
			res.failed("could not start the sandbox to snapshot", err)
		}
		return
	}
	vr.did(vms.OpCreate)
	srcLive := true
	defer func() {
		if srcLive {
			if _, err := r.destroy(src); err != nil {
				vr.fail("teardown", src.id, err)
			}
		}
	}()
	token, err := randomToken()
	if err != nil {
		res.failed("token", err)
		return
	}
	opCtx, cancel := context.WithTimeout(ctx, r.Settings.OpTimeout)
	defer cancel()
	if _, err := src.stream.Request(opCtx, "token", "set", token); err != nil {
		res.failed("could not hand the probe its token", timeoutCause(opCtx, err))
		return
	}
	snapDir := filepath.Join(r.runDir, src.id+"-snapshot")
	if err := os.Mkdir(snapDir, 0o700); err != nil {
		res.failed("snapshot dir", err)
		return
	}
	defer os.RemoveAll(snapDir)
	r.progress(Event{Variant: d.Variant(), Phase: PhaseSnapshot, Done: 0, Total: total, Message: "snapshot"})
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
		err = timeoutCause(snapCtx, err)
		res.failed("snapshot failed on this host", err)
		vr.fail(PhaseSnapshot, src.id, err)
		return
	}
	res.SnapshotNS = int64(time.Since(t0))
	res.SnapshotBytes = snap.Bytes
	if res.SnapshotBytes == 0 {
		res.SnapshotBytes = dirSize(snapDir)
	}
	vr.did(vms.OpSnapshot)
	// The source may be stopped by the snapshot; it is not needed further.
	srcLive = false
	if _, err := r.destroy(src); err != nil {
		vr.fail("teardown", src.id, err)
	}

	var restores []time.Duration
	var sp *sampler
	restoreOne := func() *instance {
		in, err := r.restore(ctx, sn, snap, src.args)
		if err != nil {
			if ctx.Err() == nil {
				res.FailedRestores++
				vr.fail(PhaseSnapshot, "", err)
			}
			return nil
		}
		restores = append(restores, in.latency())
		sp.add(float64(in.latency()))
		ctx2, cancel := context.WithTimeout(ctx, r.Settings.OpTimeout)
		defer cancel()
		msg, err := in.stream.Request(ctx2, "token", "get")
		switch {
		case err != nil:
			res.FailedRestores++
			vr.fail(PhaseSnapshot, in.id, fmt.Errorf("restored probe did not answer token get: %w", timeoutCause(ctx2, err)))
		case strings.TrimSpace(msg.Payload) != token:
			res.FailedRestores++
			vr.fail(PhaseSnapshot, in.id, fmt.Errorf("restored probe holds token %q, not the one set before the snapshot: the restore lost memory state", msg.Payload))
		default:
			res.Verified++
		}
		return in
	}
	// One restore, then the forks held together (branches coexist), then
	// single restores until the sampling rule stops.
	sp = r.Settings.sampling(r.Settings.Samples).begin()
	r.progress(Event{Variant: d.Variant(), Phase: PhaseSnapshot, Done: 1, Total: total, Message: "restore"})
	if in := restoreOne(); in != nil {
		vr.did(vms.OpRestore)
		if _, err := r.destroy(in); err != nil {
			vr.fail("teardown", in.id, err)
		}
	}
	var forks []*instance
	for i := 0; i < r.Settings.Forks && ctx.Err() == nil; i++ {
		r.progress(Event{Variant: d.Variant(), Phase: PhaseSnapshot, Done: 2 + i, Total: total, Message: "fork"})
		if in := restoreOne(); in != nil {
			forks = append(forks, in)
		}
	}
	res.Forks = len(forks)
	if len(forks) >= 2 && res.FailedRestores == 0 {
		vr.did(vms.OpFork)
	}
	for _, in := range forks {
		if _, err := r.destroy(in); err != nil {
			vr.fail("teardown", in.id, err)
		}
	}
	// Further restores only while every one so far verified: a failing
	// restore is the result, not noise to sample past.
	for ctx.Err() == nil && len(restores) > 0 && res.FailedRestores == 0 && sp.more() {
		r.progress(Event{Variant: d.Variant(), Phase: PhaseSnapshot, Done: len(restores) + 1, Total: max(total, len(restores)+1), Message: "restore"})
		if in := restoreOne(); in != nil {
			if _, err := r.destroy(in); err != nil {
				vr.fail("teardown", in.id, err)
			}
		}
	}
	if res.FailedRestores > 0 {
		sp.halt(StopFailures, fmt.Sprintf("%d restores failed", res.FailedRestores))
	}
	if ctx.Err() != nil {
		sp.halt(StopInterrupted, "the run was interrupted")
	}
	if len(restores) > 0 {
		res.Stop = sp.result()
	}
	res.RestoreNS = nsList(restores)
	res.Restore = Summarize(restores)
	r.progress(Event{Variant: d.Variant(), Phase: PhaseSnapshot, Done: total, Total: total})
}

// failed records why the snapshot could not be measured, with the class of
// the cause: only a runtime-class cause is the measured result for the axis.
func (res *SnapshotResult) failed(what string, err error) {
	res.CauseClass = Classify(err)
	switch res.CauseClass {
	case ClassEnvironment:
		res.Cause = fmt.Sprintf("%s: the host got in the way, not the runtime: %v", what, err)
	case ClassTimeout:
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
