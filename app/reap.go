package app

import (
	"context"
	"fmt"
	"time"

	"github.com/agentic-eval/agentic-eval/reap"
)

// ReapRequest is a reap of the runs that were killed.
type ReapRequest struct {
	DryRun bool
	// MaxWait bounds the watch of one run for objects its runtimes create
	// late (ReapWait when zero).
	MaxWait time.Duration
	// Log, when set, receives a line when the reap waits.
	Log func(format string, args ...any)
	// Reaped, when set, receives each run's outcome as it is reaped.
	Reaped func(Reaped)
}

// Reaped is what a reap did, or would do, for one recorded run.
type Reaped = reap.Outcome

// ReapWait is how long an explicit reap watches one killed run.
const ReapWait = 2 * time.Minute

// reapTimeout bounds each driver call of a reap.
const reapTimeout = 30 * time.Second

// Reap reaps every recorded run whose process is gone, through every
// driver (see package reap), and says which records are malformed.
func (a *App) Reap(ctx context.Context, req ReapRequest) ([]Reaped, error) {
	all, err := a.drivers()
	if err != nil {
		return nil, err
	}
	wait := req.MaxWait
	if wait <= 0 {
		wait = ReapWait
	}
	out, err := reap.Stale(ctx, a.cfg.LedgerDir, all, reap.Options{DryRun: req.DryRun, Timeout: reapTimeout, MaxWait: wait, Log: req.Log, Reaped: req.Reaped})
	if err != nil {
		return nil, fmt.Errorf("reap stale runs: %w", err)
	}
	return out, nil
}

// DefaultStateDir is where runs record themselves unless
// $AGENTIC_EVAL_STATE says otherwise (its runs/ directory).
const DefaultStateDir = reap.DefaultStateDir
