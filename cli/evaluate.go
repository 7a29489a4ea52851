package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/agentic-eval/agentic-eval/app"
	"github.com/agentic-eval/agentic-eval/evaluate"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/rubric"
	"github.com/agentic-eval/agentic-eval/workload"
)

func init() { registerVMS((*App).evaluateCmd) }

func (a *App) evaluateCmd() *cobra.Command {
	var (
		f      measureFlags
		wf     weightFlags
		rf     rubricFlags
		files  []string
		whatIf bool
	)
	cmd := &cobra.Command{
		Use:   "evaluate [SYSTEM|VARIANT...]",
		Short: "Measure what is available (or read --results), score it, and set it beside the curated catalog",
		Long: `Evaluate answers the project's question: on this host, how do the systems really
compare, and where do the measurements disagree with the curated judgments?

Each system shows its effective profile, each axis marked with its provenance:
  M measured here, C checklist (agent-control), D declared by the driver,
  - curated (nothing measured). Axes where a measured variant differs from the
curated score by 0.15 or more are flagged with the evidence for both. Systems
that cannot be measured here keep their curated row and say why.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			core := a.core(f.kubeconfig)
			w, err := wf.resolve(cmd)
			if err != nil {
				return err
			}
			ro, err := rf.options()
			if err != nil {
				return err
			}
			var res *results.Results
			if len(files) > 0 {
				if len(args) > 0 {
					return usagef("--results reads a saved run: name no systems with it")
				}
				if len(files) > maxFiles {
					return usagef("--results given %d times: at most %d runs side by side", len(files), maxFiles)
				}
				runs, fromSet, err := a.readRunFiles(files)
				if err != nil {
					return err
				}
				if len(runs) > 1 || fromSet {
					var evs []evaluate.Evaluation
					for _, r := range runs {
						evs = append(evs, core.Evaluate(app.EvaluateRequest{Results: r, Weighting: w, Rubric: ro, WhatIf: true}))
					}
					return a.emitEvaluations(cmd, runs, evs, w)
				}
				res = runs[0]
			} else {
				s, err := f.settings()
				if err != nil {
					return err
				}
				if err := checkOut(f.out); err != nil {
					return err
				}
				var path string
				res, path, err = a.runMeasurement(cmd.Context(), f, args, s)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "results written to %s\n", path)
				if res.Interrupted {
					return fmt.Errorf("interrupted: partial results written to %s; evaluate them with --results", path)
				}
			}
			ev := core.Evaluate(app.EvaluateRequest{Results: res, Weighting: w, Rubric: ro, WhatIf: whatIf})
			if err := a.emitEvaluation(cmd, ev, w); err != nil {
				return err
			}
			// A run this command made, whose daemon vanished or whose every
			// variant failed for the host, is no evaluation to rely on.
			if len(files) == 0 {
				if why := res.EnvironmentFailure(); why != "" {
					return fmt.Errorf("%s", why)
				}
			}
			return nil
		},
	}
	f.add(cmd)
	wf.add(cmd)
	cmd.Flags().BoolVar(&whatIf, "what-if", false, "rank the systems that cannot run on the run's host with those that can (each still marked)")
	cmd.Flags().StringArrayVar(&files, "results", nil, "evaluate a saved results file instead of measuring; give it more than once to set several runs (hosts) side by side")
	rf.add(cmd)
	return cmd
}

// rubricFlags choose the rubric version and rubric/2's start-latency
// workload.
type rubricFlags struct{ version, workload string }

func (f *rubricFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.version, "rubric", rubric.Version, "rubric to score with: "+strings.Join(rubric.Versions, ", ")+" (rubric/1 scores start-latency on the ready line alone)")
	cmd.Flags().StringVar(&f.workload, "workload", rubric.DefaultStartWorkload, "under rubric/2, the workload whose time to the first verified result is the start-latency figure")
}

func (f *rubricFlags) options() (rubric.Options, error) {
	if err := rubric.CheckVersion(f.version); err != nil {
		return rubric.Options{}, usagef("--rubric: %v", err)
	}
	if _, err := workload.Lookup(f.workload); err != nil || f.workload == workload.Ready {
		return rubric.Options{}, usagef("--workload: %q is no workload with a result: valid are %s", f.workload, strings.Join(workload.Names()[1:], ", "))
	}
	return rubric.Options{Version: f.version, StartWorkload: f.workload}, nil
}

var provMark = map[rubric.Provenance]string{
	rubric.Measured: "M", rubric.Checklist: "C", rubric.Declared: "D", rubric.Published: "P", rubric.Curated: "-",
}

func (a *App) emitEvaluation(cmd *cobra.Command, ev evaluate.Evaluation, w weighting) error {
	if a.format() == FormatJSON {
		return a.emit(cmd, Output{JSON: ev})
	}
	t := NewTable("RANK", "SYSTEM", "FITNESS [95% CI]", "CURATED", "START", "DENSITY", "ISOLATION", "SNAPSHOT", "CONTROL", "FROM")
	t.AlignRight(0, 2, 3, 4, 5, 6, 7, 8)
	ties, emulated, bounds := false, false, false
	row := func(rank string, r evaluate.Row) {
		cells := []string{rank, r.System.Name(), score(r.Fitness) + interval(r.FitnessLo, r.FitnessHi), score(r.CuratedFitness)}
		for _, ax := range r.Axes {
			mark := provMark[ax.Provenance]
			if ax.Bound {
				mark += "b"
				bounds = true
			}
			if ax.Emulated != "" {
				mark += "E"
				emulated = true
			}
			cells = append(cells, score(ax.Score)+interval(ax.Lo, ax.Hi)+" "+mark)
		}
		from := r.Primary
		switch {
		case from == "" && len(r.Published) > 0:
			from = "published, curated"
		case from == "":
			from = "curated only"
		}
		if r.Emulated != "" {
			from += " (TCG software emulation)"
			emulated = true
		}
		cells = append(cells, from)
		t.AddRow(cells...)
	}
	for _, r := range ev.Rows {
		rank := fmt.Sprint(r.Rank)
		if r.Tied {
			rank += "="
			ties = true
		}
		if r.RunsHere != nil && !*r.RunsHere {
			rank += " *" // ranked with --what-if, cannot run on the host
		}
		row(rank, r)
	}
	md := a.format() == FormatMarkdown
	var head strings.Builder
	if ev.Headline != "" {
		head.WriteString(ev.Headline + "\n")
		if md {
			head.WriteString("\n")
		}
	}
	if md {
		fmt.Fprintf(&head, "Evaluation under %s, %s", w.Label(), ev.Rubric)
	} else {
		fmt.Fprintf(&head, "evaluation under %s, %s", w.Label(), ev.Rubric)
	}
	if ev.RunID != "" {
		fmt.Fprintf(&head, ", run %s on %s", ev.RunID, ev.Host)
	}
	head.WriteString("\n")
	if md {
		head.WriteString("\n")
	}
	if err := writeString(a.stdout, head.String()); err != nil {
		return err
	}
	var err error
	if md {
		err = t.WriteMarkdown(a.stdout)
	} else {
		err = t.WriteText(a.stdout)
	}
	if err != nil {
		return err
	}
	var b strings.Builder
	bullet := ""
	legend := "M measured here, C checklist, D declared by the driver, P published by the makers (cited below), - curated. Intervals are 95% bootstrap intervals over the raw samples; a row without one has none to give (curated, checklist, declared)."
	if ties {
		legend += " A rank marked = is shared: those systems' fitness cannot be told apart at that confidence."
	}
	if bounds {
		legend += " b: a published figure that bounds a different quantity, scored as the interval it allows; rows whose intervals overlap tie."
	}
	if emulated {
		legend += " E: measured under TCG software emulation (QEMU without KVM): not representative of the system under KVM, and its isolation is an emulator in a host process."
	}
	if ev.WhatIf {
		legend += " A rank marked * is a system that cannot run on this host, ranked as if it could (--what-if)."
	}
	if md {
		bullet = "- "
		b.WriteString("\n" + legend + "\n")
	} else {
		b.WriteString(legend + "\n")
	}
	if len(ev.Apart) > 0 {
		fmt.Fprintf(&b, "\ncannot run on this host (where each would stand if it could, on the evidence it has; --what-if ranks them):\n")
		for _, r := range ev.Apart {
			fmt.Fprintf(&b, "%s%s: %d of %d if it could, fitness %s%s; needs %s\n", bullet, r.System.Name(), r.WhatIfRank, len(ev.Rows)+len(ev.Apart),
				score(r.Fitness), interval(r.FitnessLo, r.FitnessHi), strings.Join(r.Needs, "; "))
		}
	}
	var flagged, unmeasured []string
	for _, r := range append(append([]evaluate.Row(nil), ev.Rows...), ev.Apart...) {
		for _, d := range r.Disagreements {
			flagged = append(flagged, fmt.Sprintf("%s%s %s (%s): measured %.2f vs curated %.2f (%+.2f)\n    measured: %s\n    curated:  %s",
				bullet, r.System.Name(), d.Axis, d.Variant, d.Measured, d.Curated, d.Delta, d.MeasuredBasis, d.CuratedEvidence))
		}
		for _, n := range r.NotMeasured {
			line := fmt.Sprintf("%s%s", bullet, r.System.Name())
			if n.Variant != "" && n.Variant != r.System.Name() {
				line += " (" + n.Variant + ")"
			}
			line += ": " + n.Reason
			if n.Fix != "" {
				line += "\n    fix: " + n.Fix
			}
			unmeasured = append(unmeasured, line)
		}
		for _, ax := range r.Axes {
			if ax.NotMeasured != "" {
				unmeasured = append(unmeasured, fmt.Sprintf("%s%s %s not measured: %s", bullet, r.System.Name(), ax.Axis, oneLine(ax.NotMeasured)))
			}
		}
	}
	var cited []string
	for _, r := range append(append([]evaluate.Row(nil), ev.Rows...), ev.Apart...) {
		for _, p := range r.Published {
			cited = append(cited, fmt.Sprintf("%s%s %s %.2f: %s", bullet, r.System.Name(), p.Axis.Name(), p.Score, p.Basis))
		}
		if r.Primary == "" && len(r.Published) == 0 && r.PublishedNone != "" {
			cited = append(cited, fmt.Sprintf("%s%s: %s", bullet, r.System.Name(), r.PublishedNone))
		}
	}
	if len(cited) > 0 {
		fmt.Fprintf(&b, "\npublished evidence (the makers' figures on their hardware, through the same curves):\n%s\n", strings.Join(cited, "\n"))
	}
	if len(flagged) > 0 {
		fmt.Fprintf(&b, "\ndisagreements of %.2f or more between measured and curated:\n%s\n", rubric.DisagreementThreshold, strings.Join(flagged, "\n"))
	}
	if len(unmeasured) > 0 {
		fmt.Fprintf(&b, "\nnot measured here (a system without a measured variant keeps its curated row):\n%s\n", strings.Join(unmeasured, "\n"))
	}
	if len(ev.Warnings) > 0 {
		var ws []string
		for _, w := range ev.Warnings {
			ws = append(ws, bullet+w.String())
		}
		fmt.Fprintf(&b, "\nwarnings:\n%s\n", strings.Join(ws, "\n"))
	}
	return writeString(a.stdout, b.String())
}

// interval is " [lo, hi]" for a score with an interval, else "".
func interval(lo, hi *float64) string {
	if lo == nil || hi == nil {
		return ""
	}
	return fmt.Sprintf(" [%s, %s]", score(*lo), score(*hi))
}
