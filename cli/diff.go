package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/agentic-eval/agentic-eval/compare"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/units"
)

func init() {
	registerVMS((*App).diffCmd)
	registerVMS((*App).checkCmd)
}

func (a *App) diffCmd() *cobra.Command {
	rule := compare.FirecrackerRule
	var all bool
	cmd := &cobra.Command{
		Use:   "diff BASE.json NEW.json",
		Short: "Compare two measurement runs figure by figure; exit 1 on any regression",
		Long: `diff holds every figure of every variant in NEW against BASE: both medians, the
change, and a Mann-Whitney U p-value on the raw samples. A change is a regression only
when p < --alpha and it is larger than --threshold (Firecracker's A/B rule by default:
p < 0.01 and more than 20%). A figure with too few samples to reach --alpha, or on one
side only, is said to be so. Exit status 1 when any figure regressed, so CI can gate on it.`,
		Example: `  agentic-eval vms diff main.json branch.json
  agentic-eval vms diff --format markdown --threshold 0.1 main.json branch.json`,
		Args: exactArgs(2, "two results files written by `vms measure`: BASE and NEW"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rule.Validate(); err != nil {
				return usagef("%v", err)
			}
			base, err := results.ReadResultsFile(args[0])
			if err != nil {
				return asUsage(err)
			}
			next, err := results.ReadResultsFile(args[1])
			if err != nil {
				return asUsage(err)
			}
			rep, err := compare.Diff(base, next, rule)
			if err != nil {
				return usagef("%v", err)
			}
			if err := a.emitDiff(cmd, rep, all); err != nil {
				return err
			}
			if n := rep.Regressions(); n > 0 {
				return fmt.Errorf("%d figure(s) regressed (p < %v and more than %.0f%% slower or larger)", n, rule.Alpha, rule.Threshold*100)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.Float64Var(&rule.Alpha, "alpha", rule.Alpha, "p-value below which a change is significant")
	fl.Float64Var(&rule.Threshold, "threshold", rule.Threshold, "smallest change, as a fraction of the base median, that counts (0.2 is 20%)")
	fl.BoolVar(&all, "all", false, "list every figure, not only those that changed or could not be compared")
	return cmd
}

// emitDiff renders a diff: by default only the rows worth a reader's eye
// (changed, or not comparable), with a count of the rest.
func (a *App) emitDiff(cmd *cobra.Command, rep compare.Report, all bool) error {
	t := NewTable("VARIANT", "FIGURE", "BASE", "NEW", "CHANGE", "P", "N", "VERDICT")
	t.AlignRight(2, 3, 4, 5, 6)
	hidden := 0
	for _, r := range rep.Rows {
		if !all && r.Verdict == compare.NoChange {
			hidden++
			continue
		}
		change, p := "", ""
		if r.BaseN > 0 && r.NewN > 0 {
			change = fmt.Sprintf("%+.1f%%", r.Change*100)
			p = fmt.Sprintf("%.3g", r.P)
		}
		t.AddRow(r.Variant, r.Figure, figureValue(r.BaseMedian, r.BaseN, r.Unit), figureValue(r.NewMedian, r.NewN, r.Unit),
			change, p, fmt.Sprintf("%d+%d", r.BaseN, r.NewN), string(r.Verdict))
	}
	summary := func(w io.Writer, md bool) error {
		var b strings.Builder
		fmt.Fprintf(&b, "%d figure(s) compared; %d regressed", len(rep.Rows), rep.Regressions())
		if hidden > 0 {
			fmt.Fprintf(&b, "; %d with no change not listed (--all lists them)", hidden)
		}
		fmt.Fprintf(&b, ". Rule: a regression is p < %v and more than %.0f%% worse.\n", rep.Rule.Alpha, rep.Rule.Threshold*100)
		for _, w := range rep.Warnings {
			fmt.Fprintf(&b, "warning: %s\n", w)
		}
		if md {
			return writeString(w, "\n"+strings.ReplaceAll(b.String(), "\n", "\n\n"))
		}
		return writeString(w, b.String())
	}
	return a.emit(cmd, Output{
		JSON: rep,
		Text: func(w io.Writer) error {
			if len(t.Rows) > 0 {
				if err := t.WriteText(w); err != nil {
					return err
				}
			}
			return summary(w, false)
		},
		Markdown: func(w io.Writer) error {
			if len(t.Rows) > 0 {
				if err := t.WriteMarkdown(w); err != nil {
					return err
				}
			}
			return summary(w, true)
		},
	})
}

func figureValue(v float64, n int, unit string) string {
	if n == 0 {
		return "-"
	}
	if unit == "ms" {
		return units.Millis(v)
	}
	return fmt.Sprintf("%.2f %s", v, unit)
}

func (a *App) checkCmd() *cobra.Command {
	var baseline string
	cmd := &cobra.Command{
		Use:   "check --baseline FILE RESULTS.json",
		Short: "Hold a run's figures to the floors and ceilings in a baseline file; exit 1 when any is outside",
		Long: `check reads a baseline, one bound per line:

  # VARIANT     FIGURE                          STAT    OP  VALUE
  docker/runc   start-latency                   median  <=  40ms
  gvisor/systrap tti/python-hello/first-result  p90     <=  900ms
  docker/runc   density/per-instance            median  <=  3MiB

STAT is median, p90, p99, min or max; OP is <=, <, >= or >; times take ns, us, ms or s,
memory B, KiB, MiB or GiB. Figures are the names ` + "`vms diff --all`" + ` lists. A bound whose figure
the run did not measure fails: a check that cannot be made is not a pass.`,
		Args: exactArgs(1, "a results file written by `vms measure`"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if baseline == "" {
				return usagef("--baseline is required: the file of bounds to hold the run to")
			}
			bounds, err := readBaseline(baseline)
			if err != nil {
				return usagef("%v", err)
			}
			res, err := results.ReadResultsFile(args[0])
			if err != nil {
				return asUsage(err)
			}
			out := compare.Check(res, bounds)
			failed := 0
			var lines []string
			for _, o := range out {
				if !o.Pass {
					failed++
					lines = append(lines, o.Message)
				}
			}
			err = a.emit(cmd, Output{
				JSON: out,
				Text: func(w io.Writer) error {
					s := fmt.Sprintf("%d of %d bounds hold\n", len(out)-failed, len(out))
					if len(lines) > 0 {
						s = strings.Join(lines, "\n") + "\n" + s
					}
					return writeString(w, s)
				},
			})
			if err != nil {
				return err
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d bounds do not hold", failed, len(out))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&baseline, "baseline", "", "the file of bounds, one per line")
	return cmd
}

// readBaseline opens a baseline as the results reader opens results: a
// regular file, checked on the opened descriptor, never a FIFO or device.
func readBaseline(path string) ([]compare.Bound, error) {
	f, err := results.Open(path, results.Options{MaxBytes: compare.MaxBaselineBytes, Subject: "baseline"})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return compare.ParseBaseline(f)
}
