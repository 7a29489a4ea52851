package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/agentic-eval/agentic-eval/app"
)

func init() {
	registerVMS((*App).reapCmd)
}

// reapedJSON is one recorded run as `vms reap --format json` reports it.
type reapedJSON struct {
	RunID     string   `json:"run_id,omitempty"`
	Ledger    string   `json:"ledger"`
	Removed   []string `json:"removed,omitempty"`
	Left      []string `json:"left,omitempty"`
	Malformed string   `json:"malformed,omitempty"`
}

// firstFew is list cut to n items, the rest counted.
func firstFew(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(append([]string(nil), list[:n]...), fmt.Sprintf("and %d more", len(list)-n))
}

// reapedLine is one run's reap in one line.
func reapedLine(s app.Reaped, dryRun bool) string {
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
(` + app.DefaultStateDir + `/runs, or $AGENTIC_EVAL_STATE/runs) before it creates
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
			core := a.core("")
			reaped, err := core.Reap(cmd.Context(), app.ReapRequest{
				DryRun: dryRun,
				Log: func(format string, args ...any) {
					fmt.Fprintf(a.stderr, "agentic-eval: "+format+"\n", args...)
				},
				Reaped: func(r app.Reaped) {
					if a.format() != FormatJSON {
						fmt.Fprintln(a.stdout, reapedLine(r, dryRun))
					}
				},
			})
			if err != nil {
				return fromApp(err)
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
				return fmt.Errorf("%d malformed run record(s) in %s: inspect and remove them by hand", malformed, core.Config().LedgerDir)
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
