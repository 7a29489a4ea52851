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
	"strings"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"

	"github.com/agentic-eval/agentic-eval/probe"
	"github.com/agentic-eval/agentic-eval/vms"
	"github.com/agentic-eval/agentic-eval/workload"
)

// PhaseWorkload measures what an agent waits for: code run in sandboxes of
// the Python image.
const PhaseWorkload Phase = "workload"

// WorkloadSettings are the workload phase's.
type WorkloadSettings struct {
	// Names are the workloads measured, in order (workload.Names).
	Names []string `json:"names"`
	// Command is the user's own command line, measured as "custom" when
	// set, verified by its exit status.
	Command []string `json:"command,omitempty"`
	// Samples is the most fresh sandboxes that time each workload's time
	// to interactive; WarmRuns the most runs in one warm sandbox, per exec
	// path: hard maxima, under which the run's Sampling rule (its budget
	// and precision) decides.
	Samples  int `json:"samples"`
	WarmRuns int `json:"warm_runs"`
	// FileSizes are the sizes put into and got back from a sandbox, each
	// FileReps times.
	FileSizes []int64 `json:"file_sizes"`
	FileReps  int     `json:"file_reps"`
}

// DefaultWorkloadSettings are python-hello (the rubric's start workload),
// at most 200 fresh sandboxes and 1000 warm runs per exec path (hard
// maxima: the run's Sampling rule stops far sooner, at its precision or at
// the ceiling its budget buys), files of 4 KiB and 1 MiB three times each way. The
// other workloads (python-numpy, small-files, cpu) and larger files are
// named with --workloads and --file-sizes: under software emulation each
// costs a minute or more.
func DefaultWorkloadSettings() WorkloadSettings {
	return WorkloadSettings{
		Names:   []string{workload.PythonHello},
		Samples: 200, WarmRuns: 1000,
		FileSizes: []int64{4 << 10, 1 << 20}, FileReps: 3,
	}
}

// Validate checks the settings' bounds.
func (s WorkloadSettings) Validate() error {
	if _, err := s.workloads(); err != nil {
		return err
	}
	switch {
	case s.Samples < 1 || s.Samples > 1000:
		return fmt.Errorf("workload samples %d out of range: want 1 to 1000", s.Samples)
	case s.WarmRuns < 0 || s.WarmRuns > 10000:
		return fmt.Errorf("warm runs %d out of range: want 0 to 10000", s.WarmRuns)
	case s.FileReps < 0 || s.FileReps > 100:
		return fmt.Errorf("file repetitions %d out of range: want 0 to 100", s.FileReps)
	}
	for _, n := range s.FileSizes {
		if n < 1 || n > 1<<30 {
			return fmt.Errorf("file size %d out of range: want 1 byte to 1 GiB", n)
		}
	}
	return nil
}

// workloads are the workloads the settings name, with the user's command.
func (s WorkloadSettings) workloads() ([]workload.Workload, error) {
	var ws []workload.Workload
	if len(s.Names) > 0 {
		var err error
		if ws, err = workload.Parse(strings.Join(s.Names, ",")); err != nil {
			return nil, err
		}
	}
	if len(s.Command) > 0 {
		w, err := workload.Command(s.Command, 300_000)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// WorkloadResult is the workload phase's result for one variant.
type WorkloadResult struct {
	Version string       `json:"version"` // workload.Version
	Image   driver.Image `json:"image"`
	// Cause says why nothing was measured (no image, a driver that runs
	// none); empty when measured.
	Cause string           `json:"cause,omitempty"`
	TTI   []TimeToInteract `json:"time_to_interactive,omitempty"`
	Warm  []WarmExec       `json:"warm_exec,omitempty"`
	Files []FileTransfer   `json:"files,omitempty"`
	// Primed is the primed interpreter forked, beside the probe-token
	// snapshot of the snapshot phase.
	Primed *PrimedFork `json:"primed_fork,omitempty"`
}

// TimeToInteract is one workload in fresh sandboxes, one after another:
// from the request to the runtime returning, to the probe's ready line, to
// the first verified result and the second, each on the harness's clock.
type TimeToInteract struct {
	Workload     string  `json:"workload"`
	ExecPath     string  `json:"exec_path"` // "probe": the sandbox's agent ran it
	ReturnedNS   []int64 `json:"returned_ns"`
	ReadyNS      []int64 `json:"ready_ns"`
	FirstNS      []int64 `json:"first_result_ns"`
	SecondNS     []int64 `json:"second_result_ns"`
	Returned     Summary `json:"returned"`
	Ready        Summary `json:"ready"`
	FirstResult  Summary `json:"first_result"`
	SecondResult Summary `json:"second_result"`
	// FirstPenalty is the median of each sandbox's first run over its
	// second (run times only, without the start): how much a cold
	// sandbox's first call costs beyond a warm one's.
	FirstPenalty float64 `json:"first_penalty"`
	Failed       int     `json:"failed"`
	// Stop says why this many sandboxes were timed (the rule is on the
	// first result). Absent in older documents.
	Stop *Stop `json:"stop,omitempty"`
}

// WarmExec is n runs of a workload in one running sandbox, per exec path:
// the per-tool-call cost on a warm pool.
type WarmExec struct {
	Workload  string  `json:"workload"`
	ExecPath  string  `json:"exec_path"` // "probe", or "runtime" (the runtime's own exec)
	SamplesNS []int64 `json:"samples_ns"`
	Summary   Summary `json:"summary"`
	// ProbeNS are the probe's own durations of the command, inside.
	ProbeNS []int64 `json:"probe_ns,omitempty"`
	// WarmupNS is the uncounted first run through the probe (the
	// sandbox's first), 0 where it failed. Absent in older documents,
	// whose first run was counted.
	WarmupNS int64 `json:"warmup_ns,omitempty"`
	Failed   int   `json:"failed"`
	// Stop says why this many runs were taken (the Sampling rule under
	// WarmRuns). Absent in older documents.
	Stop *Stop `json:"stop,omitempty"`
}

// FileTransfer is one size moved into (put) or out of (get) a sandbox,
// through the probe ("probe") or the runtime's own copy path ("runtime",
// see Copier), verified by SHA-256.
type FileTransfer struct {
	Direction string `json:"direction"` // "put" or "get"
	Bytes     int64  `json:"bytes"`
	ExecPath  string `json:"exec_path"`
	// Path is the file's path in the sandbox; PathWhy says why the file
	// went there when it is not the work dir.
	Path      string  `json:"path,omitempty"`
	PathWhy   string  `json:"path_why,omitempty"`
	SamplesNS []int64 `json:"samples_ns"`
	Summary   Summary `json:"summary"`
	// MBps is the median throughput, in MB (10^6 bytes) per second.
	MBps     float64 `json:"mbps"`
	Verified int     `json:"verified"`
	Failed   int     `json:"failed"`
	// CrossVerified counts transfers the other exec path saw: a file the
	// runtime put that the probe read back with its SHA-256 (a runtime
	// put's only check, so it counts in Verified too), and a file the
	// probe put that the runtime's get returned intact.
	CrossVerified int `json:"cross_verified,omitempty"`
	// Cap, when set, says why a size was not moved through this driver
	// (or this exec path: a runtime without a copy path of its own).
	Cap string `json:"cap,omitempty"`
}

// Exec paths.
const (
	ExecPathProbe   = "probe"
	ExecPathRuntime = "runtime"
)

// measureWorkloads runs the workload phase for d.
func (r *Runner) measureWorkloads(ctx context.Context, d driver.Driver, vr *VariantResult) {
	res := &WorkloadResult{Version: workload.Version, Image: r.Image}
	vr.Workloads = res
	ws, err := r.Settings.Workload.workloads()
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
				vr.fail("teardown", warm.id, err)
			}
		}
	}()
	for _, w := range ws {
		if w.Argv == nil || ctx.Err() != nil {
			continue // ready is the start-latency phase's
		}
		r.progress(Event{Variant: d.Variant(), Phase: PhaseWorkload, Done: done, Total: total, Message: w.Name + ": time to interactive"})
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
		r.progress(Event{Variant: d.Variant(), Phase: PhaseWorkload, Done: done, Total: total, Message: w.Name + ": warm exec"})
		res.Warm = append(res.Warm, r.warmExec(ctx, vr, w, pool)...)
		done++
	}
	if ctx.Err() == nil {
		r.progress(Event{Variant: d.Variant(), Phase: PhaseWorkload, Done: done, Total: total, Message: "files"})
		res.Files = r.fileTransfers(ctx, d, vr, pool)
	}
	if ctx.Err() == nil {
		r.progress(Event{Variant: d.Variant(), Phase: PhaseWorkload, Done: done, Total: total, Message: "primed interpreter, forked"})
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
	r.progress(Event{Variant: d.Variant(), Phase: PhaseWorkload, Done: total, Total: total})
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
		return 0, res, fmt.Errorf("run %s: %w", w.Name, timeoutCause(opCtx, err))
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
func (r *Runner) timeToInteract(ctx context.Context, d driver.Driver, vr *VariantResult, w workload.Workload, adopt func(*instance) bool) TimeToInteract {
	t := TimeToInteract{Workload: w.Name, ExecPath: ExecPathProbe}
	var returned, ready, first, second []time.Duration
	var penalties []float64
	sp := r.Settings.sampling(r.Settings.Workload.Samples).begin()
	consecutive := 0
	failed := func() {
		t.Failed++
		if consecutive++; consecutive >= 3 {
			sp.halt(StopFailures, "3 consecutive failures")
		}
	}
	for ctx.Err() == nil && sp.more() {
		in, err := r.spawnOnImage(ctx, d)
		if err != nil {
			vr.fail(PhaseWorkload, "", err)
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
			vr.did(vms.OpCreate)
			returned = append(returned, in.started.Sub(in.asked))
			ready = append(ready, in.latency())
			first = append(first, t1.Sub(in.asked))
			second = append(second, t2.Sub(in.asked))
			sp.add(float64(t1.Sub(in.asked)))
			if run2 > 0 {
				penalties = append(penalties, float64(run1)/float64(run2))
			}
			if adopt != nil && !sp.more() && adopt(in) {
				continue // its destruction is the adopter's
			}
		}
		if _, derr := r.destroy(in); derr != nil {
			vr.fail("teardown", in.id, derr)
		} else if err2 == nil {
			vr.did(vms.OpDestroy)
		}
		if err2 != nil {
			vr.fail(PhaseWorkload, in.id, err2)
			failed()
		}
	}
	t.ReturnedNS, t.ReadyNS, t.FirstNS, t.SecondNS = nsList(returned), nsList(ready), nsList(first), nsList(second)
	t.Returned, t.Ready, t.FirstResult, t.SecondResult = Summarize(returned), Summarize(ready), Summarize(first), Summarize(second)
	if len(penalties) > 0 {
		t.FirstPenalty = SummarizeValues(penalties, "ratio").Median
	}
	if ctx.Err() != nil {
		sp.halt(StopInterrupted, "the run was interrupted")
	}
	t.Stop = sp.result()
	return t
}

// warmExec runs w again and again in one sandbox: through the probe, and,
// where the driver's sandbox execs, through the runtime's own exec of a
// second probe that runs it.
func (r *Runner) warmExec(ctx context.Context, vr *VariantResult, w workload.Workload, pool func() (*instance, error)) []WarmExec {
	n := r.Settings.Workload.WarmRuns
	if n == 0 {
		return nil
	}
	in, err := pool()
	if err != nil {
		vr.fail(PhaseWorkload, "", err)
		return []WarmExec{{Workload: w.Name, ExecPath: ExecPathProbe, Failed: 1}}
	}
	viaProbe := WarmExec{Workload: w.Name, ExecPath: ExecPathProbe}
	// One run first, not counted: the sandbox's first is a cold one (the
	// time to interactive's first result measures that), and under
	// software emulation it is ten times a warm run.
	if t, _, err := r.runOnce(ctx, in, w); err == nil {
		viaProbe.WarmupNS = int64(t)
	}
	var took, inside []time.Duration
	sp := r.Settings.sampling(n).begin()
	for consecutive := 0; ctx.Err() == nil && sp.more(); {
		t, res, err := r.runOnce(ctx, in, w)
		if err != nil {
			viaProbe.Failed++
			vr.fail(PhaseWorkload, in.id, err)
			if consecutive++; consecutive >= 3 {
				sp.halt(StopFailures, "3 consecutive failures")
			}
			continue
		}
		consecutive = 0
		took = append(took, t)
		inside = append(inside, time.Duration(res.DurationNS))
		sp.add(float64(t))
	}
	viaProbe.SamplesNS, viaProbe.ProbeNS, viaProbe.Summary = nsList(took), nsList(inside), Summarize(took)
	viaProbe.Stop = sp.result()
	out := []WarmExec{viaProbe}
	ex, ok := in.sb.(driver.Execer)
	if !ok {
		return out
	}
	viaRuntime := WarmExec{Workload: w.Name, ExecPath: ExecPathRuntime}
	req, err := json.Marshal(w.Request())
	if err != nil {
		vr.fail(PhaseWorkload, in.id, err)
		return out
	}
	took, inside = nil, nil
	sp = r.Settings.sampling(n).begin()
	for consecutive := 0; ctx.Err() == nil && sp.more(); {
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
			vr.fail(PhaseWorkload, in.id, fmt.Errorf("runtime exec of %s: %w", w.Name, err))
			if consecutive++; consecutive >= 3 {
				sp.halt(StopFailures, "3 consecutive failures")
			}
			continue
		}
		consecutive = 0
		vr.did(vms.OpExec)
		took = append(took, t)
		inside = append(inside, time.Duration(res.DurationNS))
		sp.add(float64(t))
	}
	viaRuntime.SamplesNS, viaRuntime.ProbeNS, viaRuntime.Summary = nsList(took), nsList(inside), Summarize(took)
	viaRuntime.Stop = sp.result()
	return append(out, viaRuntime)
}

// fileTransfers puts files of each size into one sandbox's work dir and
// gets them back, through the probe in chunks, each verified by SHA-256;
// then through the runtime's own copy path where the sandbox has one
// (runtimeCopy), or a row per size and direction that says it has none.
func (r *Runner) fileTransfers(ctx context.Context, d driver.Driver, vr *VariantResult, pool func() (*instance, error)) []FileTransfer {
	s := r.Settings.Workload
	if s.FileReps == 0 || len(s.FileSizes) == 0 {
		return nil
	}
	in, err := pool()
	if err != nil {
		vr.fail(PhaseWorkload, "", err)
		return nil
	}
	var out []FileTransfer
	rc := r.findRuntimeCopy(ctx, d, vr, in)
	for _, size := range s.FileSizes {
		data := make([]byte, size)
		if _, err := rand.Read(data); err != nil {
			vr.fail(PhaseWorkload, in.id, err)
			return out
		}
		sum := sha256.Sum256(data)
		want := hex.EncodeToString(sum[:])
		path := fmt.Sprintf("%s/ae-file-%d", workload.WorkDir, size)
		put := FileTransfer{Direction: "put", Bytes: size, ExecPath: ExecPathProbe, Path: path}
		get := FileTransfer{Direction: "get", Bytes: size, ExecPath: ExecPathProbe, Path: path}
		var puts, gets []time.Duration
		for i := 0; i < s.FileReps && ctx.Err() == nil; i++ {
			t0 := time.Now()
			got, err := putFile(ctx, in.stream, path, data, r.Settings.OpTimeout)
			if err == nil && got != want {
				err = fmt.Errorf("put %s: the sandbox holds SHA-256 %s, the harness sent %s", path, got, want)
			}
			if err != nil {
				put.Failed++
				vr.fail(PhaseWorkload, in.id, err)
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
				vr.fail(PhaseWorkload, in.id, err)
				continue
			}
			gets = append(gets, time.Since(t0))
			get.Verified++
		}
		for _, f := range []struct {
			t  *FileTransfer
			ds []time.Duration
		}{{&put, puts}, {&get, gets}} {
			f.t.SamplesNS, f.t.Summary = nsList(f.ds), Summarize(f.ds)
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

// PrimedFork is the primed interpreter, forked: python3 with numpy
// imported and a random value assigned, in a sandbox snapshotted once,
// restored once and forked Forks times; each restore counts only when its
// interpreter returns the value with numpy still loaded, importing nothing.
type PrimedFork struct {
	// Cause says why it was not measured, or why the snapshot failed (the
	// runtime's own error, when it cannot snapshot here).
	Cause         string  `json:"cause,omitempty"`
	PrimeNS       int64   `json:"prime_ns"` // numpy's import and the assignment, in the live interpreter
	SnapshotNS    int64   `json:"snapshot_ns"`
	SnapshotBytes int64   `json:"snapshot_bytes"`
	RestoreNS     []int64 `json:"restore_ns,omitempty"` // request to the restored probe's answer
	Restore       Summary `json:"restore"`
	// AnswerNS are the restored interpreters' answers, from the request to
	// the value.
	AnswerNS []int64 `json:"answer_ns,omitempty"`
	Verified int     `json:"verified"`
	Failed   int     `json:"failed"`
}

// primedFork measures the primed interpreter forked, on the image, in the
// sandbox take hands over (the warm one, which it then owns: a snapshot may
// stop it).
func (r *Runner) primedFork(ctx context.Context, d driver.Driver, vr *VariantResult, take func() (*instance, error)) *PrimedFork {
	pf := &PrimedFork{}
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
				vr.fail("teardown", src.id, err)
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
		vr.fail(PhaseWorkload, src.id, err)
		return pf
	}
	line, took, err := send(src, p.Prime(value))
	if err == nil {
		err = p.CheckPrimed(line, value)
	}
	if err != nil {
		pf.Cause = fmt.Sprintf("could not prime the interpreter: %v", err)
		vr.fail(PhaseWorkload, src.id, err)
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
		vr.fail(PhaseWorkload, src.id, err)
		return pf
	}
	pf.SnapshotNS, pf.SnapshotBytes = int64(time.Since(t0)), snap.Bytes
	vr.did(vms.OpSnapshot)
	srcLive = false
	if _, err := r.destroy(src); err != nil {
		vr.fail("teardown", src.id, err)
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
			vr.fail(PhaseWorkload, "", err)
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
			vr.fail(PhaseWorkload, in.id, fmt.Errorf("restored interpreter: %w", err))
			continue
		}
		answers = append(answers, took)
		pf.Verified++
	}
	for _, in := range held {
		if _, err := r.destroy(in); err != nil {
			vr.fail("teardown", in.id, err)
		}
	}
	if pf.Verified > 0 {
		vr.did(vms.OpRestore)
	}
	if pf.Verified >= 2 && pf.Failed == 0 {
		vr.did(vms.OpFork)
	}
	pf.RestoreNS, pf.AnswerNS, pf.Restore = nsList(restores), nsList(answers), Summarize(restores)
	return pf
}
