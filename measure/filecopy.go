package measure

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/workload"
)

// runtimeCopy is the runtime's own copy path (Copier) in one sandbox, as
// the workload phase found it: where its files go and why there, or why
// no file moves through it.
type runtimeCopy struct {
	r   *Runner
	vr  *results.VariantResult
	in  *instance
	cp  driver.Copier
	dir string // where the runtime's files go
	why string // why there, when it is not the work dir
	cap string // why nothing moves through it
}

// copyCheckBytes is the size of the file that tells whether the runtime's
// copy reaches the work dir.
const copyCheckBytes = 64

// findRuntimeCopy decides where in in's sandbox the runtime's copy path
// puts files. The work dir is tried first, not assumed: a small file is
// copied in through the runtime and read back through the probe. When the
// probe does not find those bytes there (Docker's archive API does not see
// into a tmpfs mount, and /work is one), the files go to the sandbox's
// fallback directory, and every row says why.
func (r *Runner) findRuntimeCopy(ctx context.Context, d driver.Driver, vr *results.VariantResult, in *instance) *runtimeCopy {
	rc := &runtimeCopy{r: r, vr: vr, in: in, dir: workload.WorkDir}
	cp, ok := in.sb.(driver.Copier)
	if !ok {
		rc.cap = fmt.Sprintf("driver %s has no copy path of its own: files move only through the probe", d.Variant())
		return rc
	}
	rc.cp = cp
	data := make([]byte, copyCheckBytes)
	if _, err := rand.Read(data); err != nil {
		rc.cap = fmt.Sprintf("no check file: %v", err)
		return rc
	}
	p := path.Join(workload.WorkDir, "ae-copy-check")
	cause := ""
	opCtx, cancel := context.WithTimeout(ctx, r.Settings.OpTimeout)
	err := cp.CopyIn(opCtx, p, data)
	cancel()
	if err != nil {
		cause = fmt.Sprintf("the runtime's copy of a %d-byte file into it failed (%v)", copyCheckBytes, driver.TimedOut(opCtx, err))
	} else {
		back, err := getFile(ctx, in.stream, p, copyCheckBytes, r.Settings.OpTimeout)
		switch {
		case err != nil:
			cause = fmt.Sprintf("the runtime's copy of a %d-byte file into it reported success, but the probe does not find the file (%v)", copyCheckBytes, err)
		case string(back) != string(data):
			cause = fmt.Sprintf("the runtime's copy of a %d-byte file into it reported success, but the probe reads other bytes there", copyCheckBytes)
		}
	}
	if ctx.Err() != nil {
		rc.cap = fmt.Sprintf("not measured: %v", ctx.Err())
		return rc
	}
	if cause == "" {
		return rc
	}
	dir, why := cp.CopyFallback()
	rc.dir = dir
	rc.why = fmt.Sprintf("%s is out of the runtime's copy path here: %s; %s instead: %s", workload.WorkDir, cause, dir, why)
	return rc
}

// transfer puts data (whose SHA-256 is want) through the runtime's copy
// path and gets it back, FileReps times: a put counts when the probe then
// reads the same bytes at its path; a get when its bytes are the ones put.
// Each repetition also crosses the other way, untimed: the probe puts the
// file at a second path and the runtime gets it. The two rows are the put
// and the get, or, without a copy path, two rows with the reason.
func (rc *runtimeCopy) transfer(ctx context.Context, size int64, data []byte, want string) []results.FileTransfer {
	p := path.Join(rc.dir, fmt.Sprintf("ae-rt-file-%d", size))
	put := results.FileTransfer{Direction: "put", Bytes: size, ExecPath: results.ExecPathRuntime, Path: p, PathWhy: rc.why, Cap: rc.cap}
	get := put
	get.Direction = "get"
	if rc.cap != "" {
		put.Path, get.Path = "", ""
		return []results.FileTransfer{put, get}
	}
	r, in, vr := rc.r, rc.in, rc.vr
	each := r.Settings.OpTimeout
	fail := func(t *results.FileTransfer, err error) {
		t.Failed++
		recordFailure(vr, results.PhaseWorkload, in.id, err)
	}
	copyOut := func(p string) ([]byte, time.Duration, error) {
		opCtx, cancel := context.WithTimeout(ctx, each)
		defer cancel()
		t0 := time.Now()
		b, err := rc.cp.CopyOut(opCtx, p, size)
		took := time.Since(t0)
		if err != nil {
			return nil, 0, fmt.Errorf("runtime copy of %s out: %w", p, driver.TimedOut(opCtx, err))
		}
		if sha(b) != want {
			return nil, 0, fmt.Errorf("runtime copy of %s out: %d bytes whose SHA-256 is not what was put", p, len(b))
		}
		return b, took, nil
	}
	var puts, gets []time.Duration
	for i := 0; i < r.Settings.Workload.FileReps && ctx.Err() == nil; i++ {
		opCtx, cancel := context.WithTimeout(ctx, each)
		t0 := time.Now()
		err := rc.cp.CopyIn(opCtx, p, data)
		took := time.Since(t0)
		cancel()
		if err != nil {
			fail(&put, fmt.Errorf("runtime copy of %s in: %w", p, driver.TimedOut(opCtx, err)))
			continue
		}
		back, err := getFile(ctx, in.stream, p, size, each)
		if err == nil && sha(back) != want {
			err = fmt.Errorf("the probe reads %d bytes whose SHA-256 is not what was put", len(back))
		}
		if err != nil {
			fail(&put, fmt.Errorf("runtime copy of %s in, read back through the probe: %w", p, err))
			continue
		}
		puts = append(puts, took)
		put.Verified++
		put.CrossVerified++

		if _, took, err = copyOut(p); err != nil {
			fail(&get, err)
		} else {
			gets = append(gets, took)
			get.Verified++
		}

		q := path.Join(rc.dir, fmt.Sprintf("ae-probe-file-%d", size))
		got, err := putFile(ctx, in.stream, q, data, each)
		if err == nil && got != want {
			err = fmt.Errorf("put %s: the sandbox holds SHA-256 %s, the harness sent %s", q, got, want)
		}
		if err == nil {
			_, _, err = copyOut(q)
		}
		if err != nil {
			recordFailure(vr, results.PhaseWorkload, in.id, fmt.Errorf("cross-check, a file the probe put got through the runtime: %w", err))
			continue
		}
		get.CrossVerified++
	}
	summarizeTransfer(&put, puts)
	summarizeTransfer(&get, gets)
	return []results.FileTransfer{put, get}
}

// summarizeTransfer sets t's samples, summary and median throughput.
func summarizeTransfer(t *results.FileTransfer, ds []time.Duration) {
	t.SamplesNS, t.Summary = nsList(ds), stats.Summarize(ds)
	if t.Summary.Median > 0 {
		t.MBps = float64(t.Bytes) / 1e6 / (t.Summary.Median / 1000)
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
