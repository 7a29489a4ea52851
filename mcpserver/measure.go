package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentic-eval/agentic-eval/app"
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
	Variants []string `json:"variants" jsonschema:"1 to 4 variants or systems to measure, by name: a variant (doctor lists them and says which are available here), its runtime part (runc, systrap) or a system (gvisor, all its variants), e.g. [\"docker/runc\"] or [\"gvisor/systrap\", \"docker/crun\"]"`
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

func (m *measurer) run(ctx context.Context, req *mcp.CallToolRequest, in MeasureInput) (*mcp.CallToolResult, MeasureOutput, error) {
	if len(in.Variants) == 0 || len(in.Variants) > MaxMeasureVariants {
		return nil, MeasureOutput{}, fmt.Errorf("variants: %d given, want 1 to %d of %s", len(in.Variants), MaxMeasureVariants, strings.Join(app.Variants(), ", "))
	}
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
	core := m.opts.core
	targets, err := core.Resolve(ctx, in.Variants, app.ResolveOptions{})
	if err != nil {
		return nil, MeasureOutput{}, err
	}
	prog := newProgressSender(req)
	defer prog.stop()
	prog.send("reaping what killed runs left behind, then building the sandbox probe")
	var notes []string
	mo, err := core.Measure(ctx, app.MeasureRequest{
		Targets: targets, Settings: s, Dir: dir,
		Progress: func(e app.Progress) {
			msg := fmt.Sprintf("%s %s %d/%d", e.Variant, e.Phase, e.Done, e.Total)
			if e.Message != "" {
				msg += " " + e.Message
			}
			prog.send(msg)
		},
		Log:     func(format string, args ...any) { prog.send(fmt.Sprintf(format, args...)) },
		Started: func(id string) { prog.send("run " + id + " started: every object it creates is named ae-" + id + "-*") },
		Reaped: func(r app.Reaped) {
			notes = append(notes, fmt.Sprintf("reaped stale run %s: %d removed, %d left", r.RunID, len(r.Removed), len(r.Left)))
		},
	})
	notes = append(notes, mo.Notes...)
	if err != nil {
		return nil, MeasureOutput{}, err
	}
	res, path := mo.Results, mo.Path
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
