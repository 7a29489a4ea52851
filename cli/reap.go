package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentic-eval/agentic-eval/drivers/registry"
	"github.com/agentic-eval/agentic-eval/reap"
)

func init() {
	registerVMS((*App).reapCmd)
}

// reapTimeout bounds each driver call of a reap.
const reapTimeout = 30 * time.Second

// reapMaxWait bounds how long `vms reap` watches one killed run for
// objects its runtimes create late; a measuring run watches for
// reap.DefaultMaxWait before it starts, and again at its end.
const reapMaxWait = 2 * time.Minute

// endReapMaxWait bounds the reap a measuring run makes at its end.
const endReapMaxWait = 30 * time.Second

// reapedJSON is one recorded run as `vms reap --format json` reports it.
type reapedJSON struct {
	RunID     string   `json:"run_id,omitempty"`
	Ledger    string   `json:"ledger"`
	Removed   []string `json:"removed,omitempty"`
	Left      []string `json:"left,omitempty"`
	Malformed string   `json:"malformed,omitempty"`
}

// reapStale reaps every recorded run whose process is gone through every
// registered driver, watching each for up to maxWait for objects that
// appear late, and writes one line per run to w.
func reapStale(ctx context.Context, w, log io.Writer, dryRun bool, maxWait time.Duration) ([]reap.Outcome, error) {
	reaped, err := reap.Stale(ctx, reap.LedgerDir(), registry.Drivers(), reap.Options{
		DryRun:  dryRun,
		Timeout: reapTimeout,
		MaxWait: maxWait,
		Log: func(format string, args ...any) {
			fmt.Fprintf(log, "agentic-eval: "+format+"\n", args...)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("reap stale runs: %w", err)
	}
	for _, s := range reaped {
		fmt.Fprintln(w, reapedLine(s, dryRun))
	}
	return reaped, nil
}

// firstFew is list cut to n items, the rest counted.
func firstFew(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(append([]string(nil), list[:n]...), fmt.Sprintf("and %d more", len(list)-n))
}

// reapedLine is one run's reap in one line.
func reapedLine(s reap.Outcome, dryRun bool) string {
	if s.Malformed != "" {
		return fmt.Sprintf("ledger %s is malformed, not trusted, nothing removed: %s", s.Ledger, oneLine(s.Malformed))
	}
	verb := "reaped"
	if dryRun {
		verb = "would reap"
	}
	line := fmt.Sprintf("%s stale run %s (its process is gone): ", verb, s.RunID)
	if len(s.Removed) == 0 {
		line += "nothing of it was left"
	} else {
		line += fmt.Sprintf("%d removed: %s", len(s.Removed), strings.Join(firstFew(s.Removed, 8), "; "))
	}
	if len(s.Left) > 0 {
		line += fmt.Sprintf("; %d could not be removed: %s", len(s.Left), strings.Join(firstFew(s.Left, 8), "; "))
	}
	if s.Unsettled != "" {
		line += fmt.Sprintf("; its record stays for the next reap: %s", s.Unsettled)
	}
	return oneLine(line)
}

func (a *App) reapCmd() *cobra.Command {
	var dryRun, allStale bool
	cmd := &cobra.Command{
		Use:     "reap",
		Aliases: []string{"sweep"},
		Short:   "Remove what runs that were killed left behind (sandboxes, cgroups, state, scratch)",
		Long: `Every measurement run records itself in the state directory
(` + reap.DefaultStateDir + `/runs, or $AGENTIC_EVAL_STATE/runs) before it creates
anything, and each sandbox before it asks a runtime for it. reap finds the runs
whose process is gone (its PID no longer names the process that started the run)
and removes, through every driver, everything named after them, then their scratch
directory and their record. A runtime's daemon can still create objects for a
killed run after a first listing (dockerd finishes a dead client's creates), so
reap lists again until listings have found nothing for a while and the daemon
holds nothing of a gone client, for at most two minutes; a run not settled by
then keeps its record for the next reap. Runs still running are left alone; a
malformed record is reported and not acted on. Every 'vms measure' reaps first,
and again at its end. (sweep is this command's former name.)

Exit status: 0 when nothing is left, 1 when something could not be removed or a
record is malformed. --dry-run lists only, and exits 0 unless a record is malformed.`,
		Args: noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !allStale {
				return usagef("--all-stale=false: reap has no other mode; name nothing and it reaps every stale run")
			}
			var w io.Writer = a.stdout
			if a.format() == FormatJSON {
				w = io.Discard
			}
			reaped, err := reapStale(cmd.Context(), w, a.stderr, dryRun, reapMaxWait)
			if err != nil {
				return err
			}
			if a.format() == FormatJSON {
				out := []reapedJSON{}
				for _, s := range reaped {
					out = append(out, reapedJSON{s.RunID, s.Ledger, s.Removed, s.Left, s.Malformed})
				}
				if err := a.emit(cmd, Output{JSON: out}); err != nil {
					return err
				}
			} else if len(reaped) == 0 {
				fmt.Fprintln(a.stdout, "no stale runs: nothing to reap")
			}
			left, malformed := 0, 0
			for _, s := range reaped {
				left += len(s.Left)
				if s.Unsettled != "" {
					left++
				}
				if s.Malformed != "" {
					malformed++
				}
			}
			switch {
			case malformed > 0:
				return fmt.Errorf("%d malformed run record(s) in %s: inspect and remove them by hand", malformed, reap.LedgerDir())
			case left > 0 && !dryRun:
				return fmt.Errorf("%d object(s) of stale runs could not be removed; their records stay for the next reap", left)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be removed, remove nothing")
	cmd.Flags().BoolVar(&allStale, "all-stale", true, "reap every run whose process is gone (the only mode)")
	return cmd
}

// staleReport is doctor's account of ledgered runs: one line each for those
// whose process is gone or whose record is malformed.
func staleReport() []string {
	recs, err := reap.ReadLedgers(reap.LedgerDir())
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
