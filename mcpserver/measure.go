package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/drivers/registry"
	"github.com/agentic-eval/agentic-eval/image"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/probebin"
	"github.com/agentic-eval/agentic-eval/reap"
	"github.com/agentic-eval/agentic-eval/results"
)

// The measure tool: one bounded measurement at a time, through the same
// runner as `agentic-eval vms measure`, registered only when the server is
// started with --allow-measure. A cancelled call stops the runner through
// its context; the runner destroys what it made, and its ledger lets the
// next run reap what a killed server could not.

// Bounds of one measurement started by an agent.
const (
	MaxMeasureVariants = 4
	MaxMeasureSamples  = 200
	DefaultMeasureN    = 10
	maxMeasureBurst    = 8
	maxMeasureDensity  = 10
	maxMeasureForks    = 2
)

// MeasureInput is what an agent may ask of a measurement.
type MeasureInput struct {
	Variants []string `json:"variants" jsonschema:"1 to 4 driver variants to measure, by exact name (doctor lists them and says which are available here), e.g. [\"docker/runc\"] or [\"gvisor/systrap\", \"docker/crun\"]"`
	Phases   []string `json:"phases,omitempty" jsonschema:"phases to run (default [\"start-latency\"]): start-latency, burst, density, isolation, snapshot, workload; counts are capped for an agent (burst 8, density 10 sandboxes, 2 forks)"`
	Samples  int      `json:"samples,omitempty" jsonschema:"most start-latency samples per variant, 1 to 200 (default 10); sampling stops earlier once the median is known within ±10% or 10 s are spent past the floor"`
}

// MeasureOutput is a finished (or cancelled) measurement.
type MeasureOutput struct {
	RunID       string           `json:"run_id" jsonschema:"every object the run created was named ae-<run_id>-..."`
	ResultsPath string           `json:"results_path" jsonschema:"the results file written, inside the server's results directory: pass it to evaluate or recommend as results_path"`
	ResourceURI string           `json:"resource_uri" jsonschema:"the same file as an MCP resource"`
	Interrupted bool             `json:"interrupted" jsonschema:"the run was cancelled: figures cover only what was measured before"`
	Variants    []MeasuredStatus `json:"variants"`
	Figures     []VariantFigures `json:"figures,omitempty"`
	Notes       []string         `json:"notes"`
}

// MeasuredStatus is one variant's outcome.
type MeasuredStatus struct {
	Variant   string   `json:"variant"`
	Available bool     `json:"available"`
	Reason    string   `json:"reason,omitempty" jsonschema:"why it could not be measured here, and the fix"`
	Failures  []string `json:"failures,omitempty" jsonschema:"each failure with its phase and class (runtime, environment, timeout)"`
}

// measurer runs one measurement at a time.
type measurer struct {
	opts Options
	mu   sync.Mutex
	busy string // the running run's description, "" when idle
	wg   sync.WaitGroup
	// stopping ends every run when the server stops, whatever the
	// transport does with the calls' own contexts.
	stopping context.Context
	stop     context.CancelFunc
}

func newMeasurer(opts Options) *measurer {
	m := &measurer{opts: opts}
	m.stopping, m.stop = context.WithCancel(context.Background())
	return m
}

// wait cancels a running measurement and waits, at most limit, for it to
// finish (its cleanup included): the process must not exit while sandboxes
// are being removed.
func (m *measurer) wait(limit time.Duration) {
	m.stop()
	done := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(limit):
	}
}

func (m *measurer) claim(what string) (release func(), err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.busy != "" {
		return nil, fmt.Errorf("a measurement is already running (%s): one at a time; wait for it or cancel it", m.busy)
	}
	m.busy = what
	m.wg.Add(1)
	return func() {
		m.mu.Lock()
		m.busy = ""
		m.mu.Unlock()
		m.wg.Done()
	}, nil
}

// settings turns an agent's request into capped run settings.
func measureSettings(in MeasureInput) (results.Settings, error) {
	s := results.DefaultSettings()
	n := in.Samples
	if n == 0 {
		n = DefaultMeasureN
	}
	if n < 1 || n > MaxMeasureSamples {
		return s, fmt.Errorf("samples %d out of range: want 1 to %d (or leave it out for %d)", in.Samples, MaxMeasureSamples, DefaultMeasureN)
	}
	s.Samples, s.MinSamples = n, min(s.MinSamples, n)
	s.Warmups = min(s.Warmups, 1)
	s.Burst, s.Density, s.Forks = min(s.Burst, maxMeasureBurst), min(s.Density, maxMeasureDensity), min(s.Forks, maxMeasureForks)
	// The host is shared: an agent's run does not drop the page cache.
	s.DropCaches = false
	s.Phases = []results.Phase{results.PhaseStartLatency}
	if len(in.Phases) > 0 {
		if len(in.Phases) > len(results.AllPhases()) {
			return s, fmt.Errorf("phases: %d given, at most %d", len(in.Phases), len(results.AllPhases()))
		}
		ph, err := results.ParsePhases(strings.Join(in.Phases, ","))
		if err != nil {
			return s, fmt.Errorf("phases: %w", err)
		}
		s.Phases = ph
	}
	if s.Has(results.PhaseWorkload) {
		s.Workload.Samples = min(s.Workload.Samples, n)
		s.Workload.WarmRuns = min(s.Workload.WarmRuns, n)
	}
	return s, s.Validate()
}

// measureDrivers finds each variant by its exact name, refusing unknown and
// unavailable ones with the reason and the fix.
func measureDrivers(ctx context.Context, names []string, fpTimeout time.Duration) ([]driver.Driver, error) {
	if len(names) == 0 || len(names) > MaxMeasureVariants {
		return nil, fmt.Errorf("variants: %d given, want 1 to %d of %s", len(names), MaxMeasureVariants, strings.Join(registry.Variants(), ", "))
	}
	var out []driver.Driver
	seen := map[string]bool{}
	for _, n := range names {
		d, ok := registry.Lookup(strings.ToLower(strings.TrimSpace(n)))
		if !ok {
			return nil, fmt.Errorf("variants: unknown variant %s: valid variants are %s", shortQuote(n), strings.Join(registry.Variants(), ", "))
		}
		if seen[d.Variant()] {
			return nil, fmt.Errorf("variants: %s is named twice", d.Variant())
		}
		seen[d.Variant()] = true
		fctx, cancel := context.WithTimeout(ctx, fpTimeout)
		fp := d.Fingerprint(fctx)
		cancel()
		if !fp.Available {
			return nil, fmt.Errorf("variants: %s cannot be measured on this host: %s (fix: %s)", d.Variant(), fp.Reason, fp.Fix)
		}
		out = append(out, d)
	}
	return out, nil
}

func (m *measurer) run(ctx context.Context, req *mcp.CallToolRequest, in MeasureInput) (*mcp.CallToolResult, MeasureOutput, error) {
	s, err := measureSettings(in)
	if err != nil {
		return nil, MeasureOutput{}, err
	}
	dir := m.opts.ResultsDirs[0]
	if err := writableDir(dir); err != nil {
		return nil, MeasureOutput{}, fmt.Errorf("results directory %s: %w: start the server with a writable --results-dir", shortQuote(dir), err)
	}
	release, err := m.claim(strings.Join(in.Variants, ", "))
	if err != nil {
		return nil, MeasureOutput{}, err
	}
	defer release()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(m.stopping, cancel)()
	drivers, err := measureDrivers(ctx, in.Variants, m.opts.FingerprintTimeout)
	if err != nil {
		return nil, MeasureOutput{}, err
	}
	prog := newProgressSender(req)
	defer prog.stop()
	prog.send("reaping what killed runs left behind")
	swept, err := reap.Stale(ctx, reap.LedgerDir(), registry.Drivers(), reap.Options{
		Timeout: 30 * time.Second,
		Log:     func(format string, args ...any) { prog.send(fmt.Sprintf(format, args...)) },
	})
	if err != nil {
		return nil, MeasureOutput{}, fmt.Errorf("reap stale runs: %w", err)
	}
	prog.send("building the sandbox probe")
	probePath, err := probebin.Build(ctx)
	if err != nil {
		return nil, MeasureOutput{}, fmt.Errorf("build the sandbox probe: %w", err)
	}
	r := measure.NewRunner(s, probePath)
	r.LedgerDir = reap.LedgerDir()
	var notes []string
	for _, sw := range swept {
		notes = append(notes, fmt.Sprintf("reaped stale run %s first: %d removed, %d left", sw.RunID, len(sw.Removed), len(sw.Left)))
	}
	if s.Has(results.PhaseWorkload) {
		if img, err := image.Find(image.CacheDir()); err == nil {
			r.Image = driver.Image{Key: img.Key, Rootfs: img.Rootfs, Tar: img.Tar, TarBytes: img.TarBytes, RootfsBytes: img.RootfsBytes}
		} else {
			notes = append(notes, fmt.Sprintf("workload phase: %v", err))
		}
	}
	r.Progress = func(e measure.Event) {
		msg := fmt.Sprintf("%s %s %d/%d", e.Variant, e.Phase, e.Done, e.Total)
		if e.Message != "" {
			msg += " " + e.Message
		}
		prog.send(msg)
	}
	prog.send("run " + r.RunID() + " started: every object it creates is named " + r.Prefix() + "-*")
	res, err := r.Run(ctx, drivers)
	if err != nil {
		return nil, MeasureOutput{}, fmt.Errorf("measure run %s: %w", r.RunID(), err)
	}
	// A killed run's runtimes can create objects after the first reap
	// watched it: what appeared while this run measured is reaped now.
	if ctx.Err() == nil {
		late, err := reap.Stale(ctx, reap.LedgerDir(), registry.Drivers(), reap.Options{Timeout: 30 * time.Second, MaxWait: 30 * time.Second})
		if err != nil {
			notes = append(notes, fmt.Sprintf("reap stale runs after the run: %v", err))
		}
		for _, sw := range late {
			notes = append(notes, fmt.Sprintf("reaped stale run %s after the run: %d removed, %d left", sw.RunID, len(sw.Removed), len(sw.Left)))
		}
	}
	path := filepath.Join(dir, fmt.Sprintf("agentic-eval-results-%s.json", res.RunID))
	if err := res.Write(path); err != nil {
		return nil, MeasureOutput{}, fmt.Errorf("write results of run %s: %w", res.RunID, err)
	}
	out := MeasureOutput{RunID: res.RunID, ResultsPath: path, ResourceURI: fileURI(path), Interrupted: res.Interrupted, Figures: figuresOf(res, nil), Notes: notes}
	for _, v := range res.Systems {
		st := MeasuredStatus{Variant: v.Variant, Available: v.Fingerprint.Available}
		if !st.Available {
			st.Reason = v.Fingerprint.Reason + " (fix: " + v.Fingerprint.Fix + ")"
		}
		for _, f := range v.Failures {
			st.Failures = append(st.Failures, fmt.Sprintf("%s (%s): %s", f.Phase, f.Class.Of(), results.Shorten(f.Cause)))
		}
		out.Variants = append(out.Variants, st)
	}
	if res.Interrupted {
		out.Notes = append(out.Notes, "the run was cancelled: everything it created was removed; partial results were written")
	}
	if why := res.EnvironmentFailure(); why != "" {
		out.Notes = append(out.Notes, why)
	}
	out.Notes = append(out.Notes, "the page cache was not dropped (the host is shared): MemAvailable deltas are noisier than a vms measure run's")
	return nil, out, nil
}

// progressSender forwards progress to the client without ever blocking
// the runner: when 64 messages wait already, a new one is dropped (the
// next carries a later count), never the measurement.
type progressSender struct {
	token any
	ss    *mcp.ServerSession
	ch    chan string
	done  chan struct{}
	n     float64
}

func newProgressSender(req *mcp.CallToolRequest) *progressSender {
	p := &progressSender{ch: make(chan string, 64), done: make(chan struct{})}
	if req != nil && req.Params != nil {
		p.token = req.Params.GetProgressToken()
		p.ss = req.Session
	}
	go func() {
		defer close(p.done)
		for msg := range p.ch {
			if p.token == nil || p.ss == nil {
				continue
			}
			p.n++
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = p.ss.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: p.token, Progress: p.n, Message: msg})
			cancel()
		}
	}()
	return p
}

func (p *progressSender) send(msg string) {
	select {
	case p.ch <- msg:
	default:
	}
}

func (p *progressSender) stop() {
	close(p.ch)
	<-p.done
}

func writableDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return errors.New("not a directory")
	}
	f, err := os.CreateTemp(dir, ".agentic-eval-write-check-*")
	if err != nil {
		return fmt.Errorf("not writable: %w", err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func shortQuote(s string) string { return results.Shorten(s) }
