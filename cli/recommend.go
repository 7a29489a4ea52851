package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/agentic-eval/agentic-eval/evaluate"
	"github.com/agentic-eval/agentic-eval/measure"
)

func init() { registerVMS((*App).recommendCmd) }

func (a *App) recommendCmd() *cobra.Command {
	var (
		wf              weightFlags
		results         string
		requireMeasured bool
	)
	cmd := &cobra.Command{
		Use:   "recommend [--results FILE] [--weights AXIS=W,... | --preset NAME] [--require-measured]",
		Short: "Recommend the system that best fits a workload, with the reasons and caveats",
		Long: `Recommend the system that best fits a workload (--preset or --weights; balanced
without either), with the reasons: its score and provenance on every axis, the
evidence for its strongest axes, where measurements disagree with the catalog, the
runner-up and the margin. With --results the ranking uses a saved run's measurements
(evaluate's effective profiles); --require-measured recommends only a system measured
in that run. It is the MCP server's recommend tool on the command line.`,
		Example: `  agentic-eval vms recommend --preset untrusted-code
  agentic-eval vms recommend --results agentic-eval-results-RUN.json --weights isolation=3,start-latency=2 --require-measured`,
		Args: noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			w, err := wf.resolve(cmd)
			if err != nil {
				return err
			}
			if requireMeasured && results == "" {
				return usagef("--require-measured needs --results FILE: a results file written by vms measure")
			}
			var res *measure.Results
			if results != "" {
				if res, err = measure.ReadResultsFile(results); err != nil {
					return asUsage(err)
				}
			}
			ev := evaluate.Evaluate(res, w.Weights, evaluationOptions())
			rec, err := evaluate.Recommend(ev, evaluate.RecommendOptions{RequireMeasured: requireMeasured, Weighting: w.label()})
			if errors.Is(err, evaluate.ErrNothingMeasured) {
				return usagef("--require-measured: %v; measure a system with vms measure, or drop --require-measured to fall back on curated scores", err)
			}
			if err != nil {
				return err
			}
			return a.emit(cmd, Output{
				JSON:     rec,
				Text:     func(o io.Writer) error { return writeString(o, recommendationText(rec, ev, false)) },
				Markdown: func(o io.Writer) error { return writeString(o, recommendationText(rec, ev, true)) },
			})
		},
	}
	wf.add(cmd)
	cmd.Flags().StringVar(&results, "results", "", "a results `FILE` written by `vms measure`; without it the recommendation rests on the curated catalog")
	cmd.Flags().BoolVar(&requireMeasured, "require-measured", false, "recommend only a system measured in --results")
	return cmd
}

// recommendationText renders rec as text or markdown.
func recommendationText(rec evaluate.Recommendation, ev evaluate.Evaluation, md bool) string {
	var b strings.Builder
	from := "curated only"
	if rec.Measured {
		from = "measured here"
	}
	head := fmt.Sprintf("recommendation under %s, %s", rec.Weighting, rec.Rubric)
	if ev.RunID != "" {
		head += fmt.Sprintf(", run %s on %s", ev.RunID, ev.Host)
	}
	bullet, section := "  - ", func(title string) { fmt.Fprintf(&b, "\n%s:\n", title) }
	if md {
		bullet = "- "
		section = func(title string) { fmt.Fprintf(&b, "\n## %s\n\n", strings.ToUpper(title[:1])+title[1:]) }
		fmt.Fprintf(&b, "# Recommendation: %s\n\n%s; fitness %.2f (%s)\n", rec.System, strings.ToUpper(head[:1])+head[1:], rec.Fitness, from)
	} else {
		fmt.Fprintf(&b, "%s\nrecommended: %s, fitness %.2f (%s)\n", head, rec.System, rec.Fitness, from)
	}
	section("reasons")
	for _, r := range rec.Reasons {
		b.WriteString(bullet + r + "\n")
	}
	section("axes")
	t := NewTable("AXIS", "SCORE", "CURATED", "FROM", "WEIGHT", "CONTRIBUTION")
	t.AlignRight(1, 2, 4, 5)
	for _, x := range rec.Axes {
		src := string(x.Provenance)
		if x.Variant != "" {
			src += " (" + x.Variant + ")"
		}
		t.AddRow(x.Axis, score(x.Score), score(x.Curated), src, fmt.Sprintf("%.0f%%", x.Weight*100), score(x.Contribution))
	}
	var tb strings.Builder
	if md {
		_ = t.WriteMarkdown(&tb)
	} else {
		_ = t.WriteText(&tb)
	}
	b.WriteString(tb.String())
	section("ranking")
	indent := "  "
	if md {
		indent = ""
	}
	for i, c := range rec.Ranking {
		m := "curated"
		if c.Measured {
			m = "measured"
		}
		fmt.Fprintf(&b, "%s%d. %s %.2f (%s)\n", indent, i+1, c.System, c.Fitness, m)
	}
	if len(rec.Disagreements) > 0 {
		section("disagreements with the catalog")
		for _, d := range rec.Disagreements {
			fmt.Fprintf(&b, "%s%s (%s): measured %.2f vs curated %.2f (%+.2f): %s\n", bullet, d.Axis, d.Variant, d.Measured, d.Curated, d.Delta, d.MeasuredBasis)
		}
	}
	if len(rec.Caveats) > 0 {
		section("caveats")
		for _, c := range rec.Caveats {
			b.WriteString(bullet + c + "\n")
		}
	}
	return b.String()
}
