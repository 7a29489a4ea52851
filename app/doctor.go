package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/reap"
	"github.com/agentic-eval/agentic-eval/vms"
)

// DriverStatus is one driver's account of itself on this host.
type DriverStatus struct {
	System       vms.System          `json:"system"`
	Variant      string              `json:"variant"`
	Fingerprint  driver.Fingerprint  `json:"fingerprint"`
	Capabilities driver.Capabilities `json:"capabilities"`
}

// Doctor fingerprints every driver once, in catalog order, and says in a
// line each which recorded runs are stale (their process gone) or
// malformed.
func (a *App) Doctor(ctx context.Context) ([]DriverStatus, []string, error) {
	all, err := a.drivers()
	if err != nil {
		return nil, nil, err
	}
	var out []DriverStatus
	for _, d := range all {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("doctor interrupted: %w", err)
		}
		out = append(out, DriverStatus{System: d.System(), Variant: d.Variant(), Fingerprint: a.fingerprint(ctx, d), Capabilities: d.Capabilities()})
	}
	return out, a.staleRuns(), nil
}

// staleRuns are the recorded runs whose process is gone or whose record is
// malformed, one line each.
func (a *App) staleRuns() []string {
	recs, err := reap.ReadLedgers(a.cfg.LedgerDir)
	if err != nil {
		return []string{fmt.Sprintf("run records: %v", err)}
	}
	var out []string
	for _, r := range recs {
		switch {
		case r.Err != nil:
			out = append(out, fmt.Sprintf("malformed run record %s: %s", r.Path, oneLine(r.Err.Error())))
		case r.Stale:
			out = append(out, fmt.Sprintf("stale run %s (pid %d gone, started %s, %s, %d sandboxes recorded): run `agentic-eval vms reap`",
				r.Entry.RunID, r.Entry.PID, r.Entry.Started.Format(time.RFC3339), strings.Join(r.Entry.Drivers, ", "), len(r.Entry.Sandboxes)))
		}
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Fingerprint and Capabilities are a driver's account of itself and its
// declared abilities, as the faces render them.
type (
	Fingerprint  = driver.Fingerprint
	Capabilities = driver.Capabilities
)
