package app

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/image"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/probebin"
	"github.com/agentic-eval/agentic-eval/reap"
	"github.com/agentic-eval/agentic-eval/results"
)

// Progress is one progress report of a measurement, for a live display.
type Progress = measure.Event

// MeasureRequest is one measurement.
type MeasureRequest struct {
	Targets  []Target
	Settings results.Settings
	// Out is the results file to write; empty is
	// agentic-eval-results-<run>.json in Dir (the working directory when
	// Dir is empty).
	Out string
	Dir string
	// Progress and Log, when set, receive the run's progress (they must
	// not block) and its notable happenings, a line each; Log also gets
	// the reaps' lines.
	Progress func(Progress)
	Log      func(format string, args ...any)
	// Reaped, when set, receives each killed run reaped, as it is.
	Reaped func(Reaped)
	// Started, when set, is told the run's ID once it has recorded itself,
	// before it creates anything: every object it makes is named
	// ae-<run>-*.
	Started func(runID string)
}

// MeasureOutcome is a finished (or interrupted) measurement.
type MeasureOutcome struct {
	Results *results.Results
	// Path is the results file written; empty when the run failed before
	// it measured.
	Path string
	// Reaped are the killed runs reaped before the run and after it.
	Reaped []Reaped
	// Notes qualify the run in a line each (no sandbox image for the
	// workload phase, ...).
	Notes []string
}

// MeasureReapWait and MeasureEndReapWait bound how long a measurement
// watches killed runs before it starts and at its end.
const (
	MeasureReapWait    = reap.DefaultMaxWait
	MeasureEndReapWait = 30 * time.Second
)

// Measure runs one measurement: it reaps what killed runs left (a run must
// not measure beside their debris, nor be confused with it), builds or
// finds the probe, finds the sandbox image when the phases use one, runs
// the targets with their fingerprints, reaps again what killed runs'
// runtimes created while it ran, and writes the results file. It returns
// early, keeping what was measured, when ctx ends; whatever the run
// created is removed in every case.
func (a *App) Measure(ctx context.Context, req MeasureRequest) (MeasureOutcome, error) {
	var out MeasureOutcome
	if err := req.Settings.Validate(); err != nil {
		return out, &InputError{Field: "settings", Err: err}
	}
	reaped, err := a.Reap(ctx, ReapRequest{MaxWait: MeasureReapWait, Log: req.Log, Reaped: req.Reaped})
	if err != nil {
		return out, err
	}
	out.Reaped = reaped
	probe, err := probebin.Build(ctx)
	if err != nil {
		return out, fmt.Errorf("build the sandbox probe: %w", err)
	}
	r := measure.NewRunner(req.Settings, probe)
	if req.Settings.UsesImage() {
		// Without the image the phases record why they measured nothing,
		// and churn pings the probe instead.
		if img, err := image.Find(image.CacheDir()); err == nil {
			r.Image = driver.Image{Key: img.Key, Rootfs: img.Rootfs, Tar: img.Tar, TarBytes: img.TarBytes, RootfsBytes: img.RootfsBytes}
		} else {
			out.Notes = append(out.Notes, fmt.Sprintf("workload phase: %v", err))
		}
	}
	r.LedgerDir = a.cfg.LedgerDir
	r.Progress, r.Log, r.Started = req.Progress, req.Log, req.Started
	r.Fingerprints = map[string]driver.Fingerprint{}
	drivers := make([]driver.Driver, len(req.Targets))
	for i, t := range req.Targets {
		drivers[i] = t.Driver
		r.Fingerprints[t.Driver.Variant()] = t.Fingerprint
	}
	res, err := r.Run(ctx, drivers)
	if err != nil {
		return out, fmt.Errorf("measure run %s: %w", r.RunID(), err)
	}
	out.Results = res
	// A killed run's runtimes can create objects after the first reap
	// watched it: what appeared while this run measured is reaped now.
	if ctx.Err() == nil {
		late, err := a.Reap(ctx, ReapRequest{MaxWait: MeasureEndReapWait, Log: req.Log, Reaped: req.Reaped})
		if err != nil {
			out.Notes = append(out.Notes, fmt.Sprintf("reap stale runs after the run: %v", err))
		}
		out.Reaped = append(out.Reaped, late...)
	}
	path := req.Out
	if path == "" {
		path = filepath.Join(req.Dir, fmt.Sprintf("agentic-eval-results-%s.json", res.RunID))
	}
	if err := res.Write(path); err != nil {
		return out, fmt.Errorf("write results of run %s: %w", res.RunID, err)
	}
	out.Path = path
	return out, nil
}
