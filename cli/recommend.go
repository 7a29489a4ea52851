package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentic-eval/agentic-eval/app"
	"github.com/agentic-eval/agentic-eval/evaluate"
	"github.com/agentic-eval/agentic-eval/results"
)

func init() { registerVMS((*App).recommendCmd) }

func (a *App) recommendCmd() *cobra.Command {
	var (
		wf              weightFlags
		files           string
		requireMeasured bool
		whatIf          bool
		cf              constraintFlags
	)
	cmd := &cobra.Command{
		Use:   "recommend [--results FILE] [--weights AXIS=W,... | --preset NAME] [--require-measured] [CONSTRAINTS]",
		Short: "Recommend the system that best fits a workload, with the reasons and caveats",
		Long: `Recommend the system that best fits a workload (--preset or --weights; balanced
without either), with the reasons: its score and provenance on every axis, the
evidence for its strongest axes, where measurements disagree with the catalog, the
runner-up and the margin. With --results the ranking uses a saved run's measurements
(evaluate's effective profiles); --require-measured recommends only a system measured
in that run. It is the MCP server's recommend tool on the command line.

Hard constraints exclude systems outright, whatever their fitness: --max-start-p50 and
--max-start-p99 (the time to the first verified result of the start workload where
measured, else to the probe's ready line), --min-isolation (shared-kernel <
userspace-kernel < hardware-virtualization), --require-snapshot, --max-memory-mib
(per idle sandbox), --require-runnable (a variant available in --results) and, on by
default, only systems with a public release (--include-unobtainable lifts it). The
answer lists the systems that pass, ranked by the weights, and for each excluded
system the constraint, the figure and its provenance; a limit with no figure to test
it is untested for that system, never passed. When no system passes, the report is
printed and the exit status is 1.`,
		Example: `  agentic-eval vms recommend --preset untrusted-code
  agentic-eval vms recommend --results agentic-eval-results-RUN.json --weights isolation=3,start-latency=2 --require-measured
  agentic-eval vms recommend --results run.json --preset untrusted-code --min-isolation userspace-kernel --max-start-p50 200ms`,
		Args: noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			w, err := wf.resolve(cmd)
			if err != nil {
				return err
			}
			if requireMeasured && files == "" {
				return usagef("--require-measured needs --results FILE: a results file written by vms measure")
			}
			core := a.core("")
			var res *results.Results
			if files != "" {
				if res, err = core.ReadResults(files); err != nil {
					return fromApp(err)
				}
			}
			cons, err := cf.constraints()
			if err != nil {
				return err
			}
			req := app.RecommendRequest{Results: res, Weighting: w, RequireMeasured: requireMeasured, Constraints: cons, WhatIf: whatIf}
			if res == nil {
				// No run: the answer is for this host, as its drivers see it.
				if req.Host, err = core.HostHere(cmd.Context()); err != nil {
					return fromApp(err)
				}
			}
			rec, ev, err := core.Recommend(req)
			var ie *app.InputError
			if errors.As(err, &ie) {
				return fromApp(err)
			}
			if errors.Is(err, evaluate.ErrNoSystemPasses) {
				if eerr := a.emit(cmd, Output{
					JSON:     rec,
					Text:     func(o io.Writer) error { return writeString(o, constraintsText(rec.Constraints, false)) },
					Markdown: func(o io.Writer) error { return writeString(o, constraintsText(rec.Constraints, true)) },
				}); eerr != nil {
					return eerr
				}
				return errors.New("no system passes every constraint (see the report above)")
			}
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
	cmd.Flags().StringVar(&files, "results", "", "a results `FILE` written by `vms measure`; without it the recommendation rests on the curated catalog")
	cmd.Flags().BoolVar(&requireMeasured, "require-measured", false, "recommend only a system whose every weighted axis was measured in --results (a declared class, a published figure or a curated score does not count)")
	cmd.Flags().BoolVar(&whatIf, "what-if", false, "rank the systems that cannot run on this host (or the run's) with those that can, each still marked")
	cf.add(cmd)
	return cmd
}

// constraintFlags are recommend's hard limits.
type constraintFlags struct {
	p50, p99            time.Duration
	isolation           string
	snapshot, runnable  bool
	memoryMiB           float64
	includeUnobtainable bool
}

func (f *constraintFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.DurationVar(&f.p50, "max-start-p50", 0, "exclude systems whose median start exceeds `DURATION` (e.g. 200ms); untested without --results")
	fl.DurationVar(&f.p99, "max-start-p99", 0, "exclude systems whose p99 start exceeds `DURATION`; needs a run of 100 samples or more")
	fl.StringVar(&f.isolation, "min-isolation", "", "weakest isolation `CLASS` accepted: shared-kernel, userspace-kernel, hardware-virtualization")
	fl.BoolVar(&f.snapshot, "require-snapshot", false, "exclude systems that cannot snapshot and restore (fork) a running sandbox")
	fl.Float64Var(&f.memoryMiB, "max-memory-mib", 0, "exclude systems using more than `MIB` of host memory per idle sandbox; untested without --results")
	fl.BoolVar(&f.runnable, "require-runnable", false, "exclude systems with no variant available in --results")
	fl.BoolVar(&f.includeUnobtainable, "include-unobtainable", false, "also consider systems with no public release (said first when one is recommended)")
}

func (f *constraintFlags) constraints() (evaluate.Constraints, error) {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	c := evaluate.Constraints{
		MaxStartP50MS: ms(f.p50), MaxStartP99MS: ms(f.p99), Snapshot: f.snapshot,
		MaxMemoryMiB: f.memoryMiB, Runnable: f.runnable, Obtainable: !f.includeUnobtainable,
	}
	if f.isolation != "" {
		b, err := evaluate.ParseBoundary(f.isolation)
		if err != nil {
			return c, usagef("--min-isolation: %v", err)
		}
		c.MinIsolation = b
	}
	if err := c.Validate(); err != nil {
		return c, usagef("%v", err)
	}
	return c, nil
}

// constraintsText renders how the systems stood against the constraints.
func constraintsText(r *evaluate.ConstraintReport, md bool) string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	bullet := "  - "
	if md {
		bullet = "- "
		b.WriteString("\n## Constraints\n\n")
	} else {
		b.WriteString("\nconstraints:\n")
	}
	var pass []string
	for _, s := range r.Passing {
		pass = append(pass, s.Name())
	}
	if len(pass) == 0 {
		b.WriteString(bullet + "no system passes every constraint\n")
	} else {
		b.WriteString(bullet + "passing, best first: " + strings.Join(pass, ", ") + "\n")
	}
	for _, v := range r.Excluded {
		for _, c := range v.Failing() {
			src := c.Provenance
			if c.Variant != "" {
				src += ", " + c.Variant
			}
			fmt.Fprintf(&b, "%s%s %s %s: %s (%s)\n", bullet, v.System, c.Status, c.Constraint, c.Figure, src)
		}
	}
	return b.String()
}

// recommendationText renders rec as text or markdown.
func recommendationText(rec evaluate.Recommendation, ev evaluate.Evaluation, md bool) string {
	var b strings.Builder
	from := rec.From
	if from == "" {
		from = "curated only"
		if rec.Measured {
			from = "measured here"
		}
	}
	head := fmt.Sprintf("recommendation under %s, %s", rec.Weighting, rec.Rubric)
	if ev.RunID != "" {
		head += fmt.Sprintf(", run %s on %s", ev.RunID, ev.Host)
	}
	bullet, section := "  - ", func(title string) { fmt.Fprintf(&b, "\n%s:\n", title) }
	if md {
		bullet = "- "
		section = func(title string) { fmt.Fprintf(&b, "\n## %s\n\n", strings.ToUpper(title[:1])+title[1:]) }
		fmt.Fprintf(&b, "# Recommendation: %s\n\n", rec.System)
		if rec.Headline != "" {
			fmt.Fprintf(&b, "**%s**\n\n", rec.Headline)
		}
		fmt.Fprintf(&b, "%s; fitness %.2f (%s)\n", strings.ToUpper(head[:1])+head[1:], rec.Fitness, from)
	} else {
		if rec.Headline != "" {
			b.WriteString(rec.Headline + "\n")
		}
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
	shown, prevRank := 0, -1
	for i, c := range rec.Ranking {
		// Places among the eligible systems; tied systems share one.
		if !c.Tied || c.Rank != prevRank {
			shown = i + 1
		}
		prevRank = c.Rank
		m := c.From
		if m == "" {
			m = "curated"
			if c.Measured {
				m = "measured"
			}
		}
		rank := fmt.Sprint(shown)
		if c.Tied {
			rank += "="
		}
		fmt.Fprintf(&b, "%s%s. %s %.2f (%s)\n", indent, rank, c.System, c.Fitness, m)
	}
	if len(rec.Apart) > 0 {
		section("cannot run on this host")
		for _, c := range rec.Apart {
			fmt.Fprintf(&b, "%s%s: %d if it could, fitness %.2f (%s); needs %s\n", bullet, c.System, c.WhatIfRank, c.Fitness, c.From, strings.Join(c.Needs, "; "))
		}
	}
	if len(rec.Disagreements) > 0 {
		section("disagreements with the catalog")
		for _, d := range rec.Disagreements {
			fmt.Fprintf(&b, "%s%s (%s): measured %.2f vs curated %.2f (%+.2f): %s\n", bullet, d.Axis, d.Variant, d.Measured, d.Curated, d.Delta, d.MeasuredBasis)
		}
	}
	b.WriteString(constraintsText(rec.Constraints, md))
	if len(rec.Caveats) > 0 {
		section("caveats")
		for _, c := range rec.Caveats {
			b.WriteString(bullet + c + "\n")
		}
	}
	return b.String()
}
