package measure

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/probe"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
	"github.com/agentic-eval/agentic-eval/workload"
)

// workloads is the results.PhaseWorkload phase.
type workloads struct{}

func (workloads) name() results.Phase                          { return results.PhaseWorkload }
func (workloads) wanted(s results.Settings) bool               { return s.Has(results.PhaseWorkload) }
func (workloads) run(ctx context.Context, r *Runner, t target) { r.measureWorkloads(ctx, t.d, t.vr) }

// measureWorkloads runs the workload phase for d.
func (r *Runner) measureWorkloads(ctx context.Context, d driver.Driver, vr *results.VariantResult) {
	res := &results.WorkloadResult{Version: workload.Version, Image: r.Image}
	vr.Workloads = res
	ws, err := r.Settings.Workload.Workloads()
	switch {
	case err != nil:
		res.Cause = err.Error()
		return
	case r.Image.IsZero():
		res.Cause = "no sandbox image: run scripts/setup.sh (it builds the Debian image with python3 and numpy)"
		return
	case !vr.Capabilities.Image:
		res.Cause = fmt.Sprintf("driver %s does not run a sandbox on an image yet: only the probe-only rootfs", d.Variant())
		return
	}
	total := len(ws)*2 + 1
	done := 0
	// One warm sandbox serves every warm run and the files, as a warm pool
	// of one would: a boot saved per variant, and the state a tool call
	// finds in a sandbox that has served others.
	var warm *instance
	var warmErr error
	pool := func() (*instance, error) {
		if warm == nil && warmErr == nil {
			warm, warmErr = r.spawnOnImage(ctx, d)
		}
		return warm, warmErr
	}
	defer func() {
		if warm != nil {
			if _, err := r.destroy(warm); err != nil {
				recordFailure(vr, "teardown", warm.id, err)
			}
		}
	}()
	for _, w := range ws {
		if w.Argv == nil || ctx.Err() != nil {
			continue // ready is the start-latency phase's
		}
		r.progress(Event{Variant: d.Variant(), Phase: results.PhaseWorkload, Done: done, Total: total, Message: w.Name + ": time to interactive"})
		// The last fresh sandbox of the first workload becomes the warm
		// one rather than being destroyed and booted again: it has served
		// two runs, as a pooled sandbox would have.
		adopt := func(in *instance) bool {
			if warm != nil || warmErr != nil {
				return false
			}
			warm = in
			return true
		}
		res.TTI = append(res.TTI, r.timeToInteract(ctx, d, vr, w, adopt))
		done++
		r.progress(Event{Variant: d.Variant(), Phase: results.PhaseWorkload, Done: done, Total: total, Message: w.Name + ": warm exec"})
		res.Warm = append(res.Warm, r.warmExec(ctx, vr, w, pool)...)
		done++
	}
	if ctx.Err() == nil {
		r.progress(Event{Variant: d.Variant(), Phase: results.PhaseWorkload, Done: done, Total: total, Message: "files"})
		res.Files = r.fileTransfers(ctx, d, vr, pool)
	}
	if ctx.Err() == nil {
		r.progress(Event{Variant: d.Variant(), Phase: results.PhaseWorkload, Done: done, Total: total, Message: "primed interpreter, forked"})
		take := func() (*instance, error) {
			in, err := pool()
			warm, warmErr = nil, nil // the caller owns it now
			if err != nil {
				return r.spawnOnImage(ctx, d) // the warm one failed: one more try, fresh
			}
			return in, nil
		}
		res.Primed = r.primedFork(ctx, d, vr, take)
	}
	r.progress(Event{Variant: d.Variant(), Phase: results.PhaseWorkload, Done: total, Total: total})
}

// spawnOnImage starts a sandbox on the run's image.
func (r *Runner) spawnOnImage(ctx context.Context, d driver.Driver) (*instance, error) {
	img := r.Image
	start := func(ctx context.Context, spec driver.Spec) (driver.Sandbox, error) {
		spec.Image = img
		return d.Start(ctx, spec)
	}
	return r.launch(ctx, "start", nil, start, func(ctx context.Context, s *probe.Stream) (probe.Msg, error) {
		return s.Ready(ctx)
	})
}

// runOnce runs w through the sandbox's probe and verifies it; it returns
// the harness's time from the request to the verified answer.
func (r *Runner) runOnce(ctx context.Context, in *instance, w workload.Workload) (time.Duration, probe.RunResult, error) {
	opCtx, cancel := context.WithTimeout(ctx, r.workloadTimeout(w))
	defer cancel()
	var res probe.RunResult
	t0 := time.Now()
	if err := in.stream.Call(opCtx, probe.ReqRun, w.Request(), &res); err != nil {
		return 0, res, fmt.Errorf("run %s: %w", w.Name, driver.TimedOut(opCtx, err))
	}
	took := time.Since(t0)
	if err := w.Check(res); err != nil {
		return 0, res, err
	}
	return took, res, nil
}

// workloadTimeout is the workload's own bound plus the operation timeout
// for the round trip.
func (r *Runner) workloadTimeout(w workload.Workload) time.Duration {
	return time.Duration(w.TimeoutMS)*time.Millisecond + r.Settings.OpTimeout
}

// timeToInteract times fresh sandboxes on the image to w's first and second
// results. When the sampling rule will take no more, the last sandbox is
// offered to adopt (nil: none is) instead of being destroyed.
func (r *Runner) timeToInteract(ctx context.Context, d driver.Driver, vr *results.VariantResult, w workload.Workload, adopt func(*instance) bool) results.TimeToInteract {
	t := results.TimeToInteract{Workload: w.Name, ExecPath: results.ExecPathProbe}
	var returned, ready, first, second []time.Duration
	var penalties []float64
	sp := sampling(r.Settings, r.Settings.Workload.Samples).Begin()
	consecutive := 0
	failed := func() {
		t.Failed++
		if consecutive++; consecutive >= 3 {
			sp.Halt(stats.StopFailures, "3 consecutive failures")
		}
	}
	for ctx.Err() == nil && sp.More() {
		in, err := r.spawnOnImage(ctx, d)
		if err != nil {
			recordFailure(vr, results.PhaseWorkload, "", err)
			failed()
			continue
		}
		run1, _, err1 := r.runOnce(ctx, in, w)
		t1 := time.Now()
		var run2 time.Duration
		err2 := err1
		if err1 == nil {
			run2, _, err2 = r.runOnce(ctx, in, w)
		}
		t2 := time.Now()
		if err2 == nil {
			consecutive = 0
			vr.Did(vms.OpCreate)
			returned = append(returned, in.started.Sub(in.asked))
			ready = append(ready, in.latency())
			first = append(first, t1.Sub(in.asked))
			second = append(second, t2.Sub(in.asked))
			sp.Add(float64(t1.Sub(in.asked)))
			if run2 > 0 {
				penalties = append(penalties, float64(run1)/float64(run2))
			}
			if adopt != nil && !sp.More() && adopt(in) {
				continue // its destruction is the adopter's
			}
		}
		if _, derr := r.destroy(in); derr != nil {
			recordFailure(vr, "teardown", in.id, derr)
		} else if err2 == nil {
			vr.Did(vms.OpDestroy)
		}
		if err2 != nil {
			recordFailure(vr, results.PhaseWorkload, in.id, err2)
			failed()
		}
	}
	t.ReturnedNS, t.ReadyNS, t.FirstNS, t.SecondNS = nsList(returned), nsList(ready), nsList(first), nsList(second)
	t.Returned, t.Ready, t.FirstResult, t.SecondResult = stats.Summarize(returned), stats.Summarize(ready), stats.Summarize(first), stats.Summarize(second)
	if len(penalties) > 0 {
		t.FirstPenalty = stats.SummarizeValues(penalties, "ratio").Median
	}
	if ctx.Err() != nil {
		sp.Halt(stats.StopInterrupted, "the run was interrupted")
	}
	t.Stop = sp.Result()
	return t
}

// warmExec runs w again and again in one sandbox: through the probe, and,
// where the driver's sandbox execs, through the runtime's own exec of a
// second probe that runs it.
func (r *Runner) warmExec(ctx context.Context, vr *results.VariantResult, w workload.Workload, pool func() (*instance, error)) []results.WarmExec {
	n := r.Settings.Workload.WarmRuns
	if n == 0 {
		return nil
	}
	in, err := pool()
	if err != nil {
		recordFailure(vr, results.PhaseWorkload, "", err)
		return []results.WarmExec{{Workload: w.Name, ExecPath: results.ExecPathProbe, Failed: 1}}
	}
	viaProbe := results.WarmExec{Workload: w.Name, ExecPath: results.ExecPathProbe}
	// One run first, not counted: the sandbox's first is a cold one (the
	// time to interactive's first result measures that), and under
	// software emulation it is ten times a warm run.
	if t, _, err := r.runOnce(ctx, in, w); err == nil {
		viaProbe.WarmupNS = int64(t)
	}
	var took, inside []time.Duration
	sp := sampling(r.Settings, n).Begin()
	for consecutive := 0; ctx.Err() == nil && sp.More(); {
		t, res, err := r.runOnce(ctx, in, w)
		if err != nil {
			viaProbe.Failed++
			recordFailure(vr, results.PhaseWorkload, in.id, err)
			if consecutive++; consecutive >= 3 {
				sp.Halt(stats.StopFailures, "3 consecutive failures")
			}
			continue
		}
		consecutive = 0
		took = append(took, t)
		inside = append(inside, time.Duration(res.DurationNS))
		sp.Add(float64(t))
	}
	viaProbe.SamplesNS, viaProbe.ProbeNS, viaProbe.Summary = nsList(took), nsList(inside), stats.Summarize(took)
	viaProbe.Stop = sp.Result()
	out := []results.WarmExec{viaProbe}
	ex, ok := in.sb.(driver.Execer)
	if !ok {
		return out
	}
	viaRuntime := results.WarmExec{Workload: w.Name, ExecPath: results.ExecPathRuntime}
	req, err := json.Marshal(w.Request())
	if err != nil {
		recordFailure(vr, results.PhaseWorkload, in.id, err)
		return out
	}
	took, inside = nil, nil
	sp = sampling(r.Settings, n).Begin()
	for consecutive := 0; ctx.Err() == nil && sp.More(); {
		opCtx, cancel := context.WithTimeout(ctx, r.workloadTimeout(w))
		t0 := time.Now()
		b, err := ex.Exec(opCtx, probe.RunFlag, string(req))
		t := time.Since(t0)
		cancel()
		var res probe.RunResult
		if err == nil {
			err = probe.DecodeRunOutput(b, &res)
		}
		if err == nil {
			err = w.Check(res)
		}
		if err != nil {
			viaRuntime.Failed++
			recordFailure(vr, results.PhaseWorkload, in.id, fmt.Errorf("runtime exec of %s: %w", w.Name, err))
			if consecutive++; consecutive >= 3 {
				sp.Halt(stats.StopFailures, "3 consecutive failures")
			}
			continue
		}
		consecutive = 0
		vr.Did(vms.OpExec)
		took = append(took, t)
		inside = append(inside, time.Duration(res.DurationNS))
		sp.Add(float64(t))
	}
	viaRuntime.SamplesNS, viaRuntime.ProbeNS, viaRuntime.Summary = nsList(took), nsList(inside), stats.Summarize(took)
	viaRuntime.Stop = sp.Result()
	return append(out, viaRuntime)
}

// fileTransfers puts files of each size into one sandbox's work dir and
// gets them back, through the probe in chunks, each verified by SHA-256;
// then through the runtime's own copy path where the sandbox has one
// (runtimeCopy), or a row per size and direction that says it has none.
func (r *Runner) fileTransfers(ctx context.Context, d driver.Driver, vr *results.VariantResult, pool func() (*instance, error)) []results.FileTransfer {
	s := r.Settings.Workload
	if s.FileReps == 0 || len(s.FileSizes) == 0 {
		return nil
	}
	in, err := pool()
	if err != nil {
		recordFailure(vr, results.PhaseWorkload, "", err)
		return nil
	}
	var out []results.FileTransfer
	rc := r.findRuntimeCopy(ctx, d, vr, in)
	for _, size := range s.FileSizes {
		data := make([]byte, size)
		if _, err := rand.Read(data); err != nil {
			recordFailure(vr, results.PhaseWorkload, in.id, err)
			return out
		}
		sum := sha256.Sum256(data)
		want := hex.EncodeToString(sum[:])
		path := fmt.Sprintf("%s/ae-file-%d", workload.WorkDir, size)
		put := results.FileTransfer{Direction: "put", Bytes: size, ExecPath: results.ExecPathProbe, Path: path}
		get := results.FileTransfer{Direction: "get", Bytes: size, ExecPath: results.ExecPathProbe, Path: path}
		var puts, gets []time.Duration
		for i := 0; i < s.FileReps && ctx.Err() == nil; i++ {
			t0 := time.Now()
			got, err := putFile(ctx, in.stream, path, data, r.Settings.OpTimeout)
			if err == nil && got != want {
				err = fmt.Errorf("put %s: the sandbox holds SHA-256 %s, the harness sent %s", path, got, want)
			}
			if err != nil {
				put.Failed++
				recordFailure(vr, results.PhaseWorkload, in.id, err)
				continue
			}
			puts = append(puts, time.Since(t0))
			put.Verified++
			t0 = time.Now()
			back, err := getFile(ctx, in.stream, path, size, r.Settings.OpTimeout)
			if err == nil {
				if bs := sha256.Sum256(back); hex.EncodeToString(bs[:]) != want {
					err = fmt.Errorf("get %s: %d bytes whose SHA-256 is not what was put", path, len(back))
				}
			}
			if err != nil {
				get.Failed++
				recordFailure(vr, results.PhaseWorkload, in.id, err)
				continue
			}
			gets = append(gets, time.Since(t0))
			get.Verified++
		}
		for _, f := range []struct {
			t  *results.FileTransfer
			ds []time.Duration
		}{{&put, puts}, {&get, gets}} {
			f.t.SamplesNS, f.t.Summary = nsList(f.ds), stats.Summarize(f.ds)
			if f.t.Summary.Median > 0 {
				f.t.MBps = float64(size) / 1e6 / (f.t.Summary.Median / 1000)
			}
		}
		out = append(out, put, get)
		out = append(out, rc.transfer(ctx, size, data, want)...)
	}
	return out
}

// putFile writes data to path in chunks and returns the SHA-256 the
// sandbox read back. Each chunk gets its own deadline.
func putFile(ctx context.Context, s *probe.Stream, path string, data []byte, each time.Duration) (string, error) {
	for off := 0; ; off += probe.MaxChunk {
		end := min(off+probe.MaxChunk, len(data))
		req := probe.PutRequest{V: probe.AgentVersion, Path: path, Offset: int64(off), Data: data[off:end], Last: end == len(data)}
		var res probe.PutResult
		opCtx, cancel := context.WithTimeout(ctx, each)
		err := s.Call(opCtx, probe.ReqPut, req, &res)
		cancel()
		if err != nil {
			return "", fmt.Errorf("put %s at %d: %w", path, off, err)
		}
		if res.Error != "" {
			return "", fmt.Errorf("put %s at %d: %s", path, off, res.Error)
		}
		if req.Last {
			if res.Bytes != int64(len(data)) {
				return "", fmt.Errorf("put %s: the sandbox holds %d bytes, %d were sent", path, res.Bytes, len(data))
			}
			return res.SHA256, nil
		}
	}
}

// getFile reads path back in chunks, at most limit bytes.
func getFile(ctx context.Context, s *probe.Stream, path string, limit int64, each time.Duration) ([]byte, error) {
	var out []byte
	for {
		req := probe.GetRequest{V: probe.AgentVersion, Path: path, Offset: int64(len(out)), Length: probe.MaxChunk}
		var res probe.GetResult
		opCtx, cancel := context.WithTimeout(ctx, each)
		err := s.Call(opCtx, probe.ReqGet, req, &res)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("get %s at %d: %w", path, len(out), err)
		}
		if res.Error != "" {
			return nil, fmt.Errorf("get %s at %d: %s", path, len(out), res.Error)
		}
		out = append(out, res.Data...)
		if int64(len(out)) > limit {
			return nil, fmt.Errorf("get %s: more than the %d bytes expected", path, limit)
		}
		if res.EOF {
			return out, nil
		}
		if len(res.Data) == 0 {
			return nil, fmt.Errorf("get %s at %d: an empty chunk before the end", path, len(out))
		}
	}
}

// primedFork measures the primed interpreter forked, on the image, in the
// sandbox take hands over (the warm one, which it then owns: a snapshot may
// stop it).
func (r *Runner) primedFork(ctx context.Context, d driver.Driver, vr *results.VariantResult, take func() (*instance, error)) *results.PrimedFork {
	pf := &results.PrimedFork{}
	rs, ok := d.(driver.Restorer)
	if !ok || !vr.Capabilities.Snapshot {
		pf.Cause = fmt.Sprintf("driver %s cannot snapshot a running sandbox", d.Variant())
		return pf
	}
	var p workload.Primed
	src, err := take()
	if err != nil {
		pf.Cause = fmt.Sprintf("could not start the sandbox to prime: %v", err)
		return pf
	}
	srcLive := true
	defer func() {
		if srcLive {
			if _, err := r.destroy(src); err != nil {
				recordFailure(vr, "teardown", src.id, err)
			}
		}
	}()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		pf.Cause = err.Error()
		return pf
	}
	value := int64(binary.BigEndian.Uint64(b[:]) >> 2) // positive, below 2^62
	send := func(in *instance, code string) (string, time.Duration, error) {
		opCtx, cancel := context.WithTimeout(ctx, 2*r.Settings.OpTimeout)
		defer cancel()
		var rep probe.SessionReply
		t0 := time.Now()
		err := in.stream.Call(opCtx, probe.ReqSessionSend, probe.SessionSend{V: probe.AgentVersion, Line: p.Line(code), TimeoutMS: int(r.Settings.OpTimeout / time.Millisecond)}, &rep)
		if err == nil && rep.Error != "" {
			err = fmt.Errorf("session: %s", rep.Error)
		}
		return rep.Line, time.Since(t0), err
	}
	opCtx, cancel := context.WithTimeout(ctx, r.Settings.OpTimeout)
	var started probe.SessionReply
	err = src.stream.Call(opCtx, probe.ReqSessionStart, probe.SessionStart{V: probe.AgentVersion, Argv: p.Argv(), Dir: workload.WorkDir}, &started)
	cancel()
	if err == nil && started.Error != "" {
		err = fmt.Errorf("session: %s", started.Error)
	}
	if err != nil {
		pf.Cause = fmt.Sprintf("could not start the interpreter: %v", err)
		recordFailure(vr, results.PhaseWorkload, src.id, err)
		return pf
	}
	line, took, err := send(src, p.Prime(value))
	if err == nil {
		err = p.CheckPrimed(line, value)
	}
	if err != nil {
		pf.Cause = fmt.Sprintf("could not prime the interpreter: %v", err)
		recordFailure(vr, results.PhaseWorkload, src.id, err)
		return pf
	}
	pf.PrimeNS = int64(took)
	ss, ok := src.sb.(driver.Snapshotter)
	if !ok {
		pf.Cause = fmt.Sprintf("driver %s offers snapshots, but its sandbox %s cannot take one", d.Variant(), src.id)
		return pf
	}
	snapDir := filepath.Join(r.runDir, src.id+"-snapshot")
	if err := os.Mkdir(snapDir, 0o700); err != nil {
		pf.Cause = fmt.Sprintf("snapshot dir: %v", err)
		return pf
	}
	defer os.RemoveAll(snapDir)
	opCtx, cancel = context.WithTimeout(ctx, r.Settings.OpTimeout)
	t0 := time.Now()
	snap, err := ss.Snapshot(opCtx, snapDir)
	cancel()
	if err != nil {
		pf.Cause = fmt.Sprintf("snapshot failed on this host: %v", err)
		recordFailure(vr, results.PhaseWorkload, src.id, err)
		return pf
	}
	pf.SnapshotNS, pf.SnapshotBytes = int64(time.Since(t0)), snap.Bytes
	vr.Did(vms.OpSnapshot)
	srcLive = false
	if _, err := r.destroy(src); err != nil {
		recordFailure(vr, "teardown", src.id, err)
	}
	img := r.Image
	restore := func(ctx context.Context, spec driver.Spec) (driver.Sandbox, error) {
		spec.Image = img
		return rs.Restore(ctx, snap, spec)
	}
	var restores, answers []time.Duration
	var held []*instance
	for i := 0; i < 1+r.Settings.Forks && ctx.Err() == nil; i++ {
		in, err := r.launch(ctx, "restore", src.args, restore, func(ctx context.Context, s *probe.Stream) (probe.Msg, error) {
			return s.Request(ctx, "ping")
		})
		if err != nil {
			pf.Failed++
			recordFailure(vr, results.PhaseWorkload, "", err)
			continue
		}
		held = append(held, in)
		restores = append(restores, in.latency())
		line, took, err := send(in, p.Probe())
		if err == nil {
			err = p.CheckRestored(line, value)
		}
		if err != nil {
			pf.Failed++
			recordFailure(vr, results.PhaseWorkload, in.id, fmt.Errorf("restored interpreter: %w", err))
			continue
		}
		answers = append(answers, took)
		pf.Verified++
	}
	for _, in := range held {
		if _, err := r.destroy(in); err != nil {
			recordFailure(vr, "teardown", in.id, err)
		}
	}
	if pf.Verified > 0 {
		vr.Did(vms.OpRestore)
	}
	if pf.Verified >= 2 && pf.Failed == 0 {
		vr.Did(vms.OpFork)
	}
	pf.RestoreNS, pf.AnswerNS, pf.Restore = nsList(restores), nsList(answers), stats.Summarize(restores)
	return pf
}
