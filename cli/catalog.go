package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/agentic-eval/agentic-eval/app"
	"github.com/agentic-eval/agentic-eval/vms"
)

func init() {
	registerVMS((*App).listCmd)
	registerVMS((*App).showCmd)
	registerVMS((*App).rankCmd)
	registerVMS((*App).compareCmd)
	registerVMS((*App).presetsCmd)
}

// score formats a score or a fitness with two decimals, as the reference.
func score(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// delta formats a difference with its sign always shown, as the reference.
func delta(v float64) string { return fmt.Sprintf("%+.2f", v) }

// weight formats a weight as short as it reads back.
func weight(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// weightFlags adds --weights and --preset to a command.
type weightFlags struct{ weights, preset string }

func (f *weightFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.weights, "weights", "",
		"per-axis weights, `AXIS=W,...` pairs such as start-latency=2,isolation=3 (axes not named weigh 1)")
	cmd.Flags().StringVar(&f.preset, "preset", "",
		"`NAME` of a weighting: "+strings.Join(vms.PresetNames(), ", ")+" (agentic-eval vms presets explains them)")
}

// weighting is the weights a command ranks or compares under, and how the
// user chose them.
type weighting = app.Weighting

// resolve reads --weights or --preset (balanced when neither is given).
func (f *weightFlags) resolve(cmd *cobra.Command) (weighting, error) {
	var weights, preset string
	if cmd.Flags().Changed("weights") && cmd.Flags().Changed("preset") {
		return weighting{}, usagef("--weights and --preset exclude each other: give one of them")
	}
	if cmd.Flags().Changed("weights") {
		weights = f.weights
		if weights == "" {
			return weighting{}, usagef("--weights: empty: give AXIS=W pairs such as start-latency=2,isolation=3")
		}
	}
	if cmd.Flags().Changed("preset") {
		preset = f.preset
		if preset == "" {
			return weighting{}, usagef("--preset: empty: give one of %s", strings.Join(vms.PresetNames(), ", "))
		}
	}
	w, err := app.WeightingOf(preset, weights, nil)
	return w, fromApp(err)
}

func presetHelp() string {
	var b strings.Builder
	for _, p := range vms.Presets() {
		fmt.Fprintf(&b, "  %-15s %s\n  %-15s %s\n", p.Name, p.Weights, "", p.Rationale)
	}
	return b.String()
}

// listedSystem is one row of `vms list --format json`.
type listedSystem struct {
	System  vms.System `json:"vm"`
	Aliases []string   `json:"aliases"`
}

func (a *App) listCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the systems and the aliases each accepts",
		Args:  noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			t := NewTable("SYSTEM", "ALIASES")
			var rows []listedSystem
			for _, s := range vms.All() {
				al := s.Aliases()
				t.AddRow(s.Name(), strings.Join(al, ", "))
				rows = append(rows, listedSystem{System: s, Aliases: al})
			}
			return a.emit(cmd, Output{Table: t, JSON: rows})
		},
	}
}

// shownProfile is `vms show --format json`: the profile's serde fields plus
// its aliases, fitness and rank under the weighting.
type shownProfile struct {
	vms.Profile
	Aliases   []string  `json:"aliases"`
	Fitness   float64   `json:"fitness"`
	Rank      int       `json:"rank"`
	Of        int       `json:"of"`
	Weighting weighting `json:"weighting"`
}

func (a *App) showCmd() *cobra.Command {
	var wf weightFlags
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show one system's scores, rank and evidence (any alias works)",
		Long: `Show one system's profile: its scores on the five axes and what they mean, its
fitness and rank (balanced unless --weights or --preset is given), and the evidence
behind the scores. NAME is a canonical name or any alias, in any case (show FC).`,
		Args: exactArgs(1, "one system name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			sys, err := parseSystem(args[0])
			if err != nil {
				return err
			}
			w, err := wf.resolve(cmd)
			if err != nil {
				return err
			}
			ranked := vms.RankWeighted(w.Weights)
			sp := shownProfile{Profile: vms.ProfileOf(sys), Aliases: sys.Aliases(), Of: len(ranked), Weighting: w}
			if sp.Aliases == nil {
				sp.Aliases = []string{}
			}
			sp.Fitness = w.Weights.Fitness(sp.Profile)
			for i, p := range ranked {
				if p.System == sys {
					sp.Rank = i + 1
				}
			}
			t := NewTable("AXIS", "SCORE", "MEANING").AlignRight(1)
			for _, ax := range vms.Axes() {
				t.AddRow(ax.Name(), score(sp.Score(ax)), ax.Meaning())
			}
			return a.emit(cmd, Output{
				JSON: sp,
				Text: func(out io.Writer) error {
					var b strings.Builder
					fmt.Fprintln(&b, sp.Profile.String())
					fmt.Fprintf(&b, "aliases: %s\n", strings.Join(sp.Aliases, ", "))
					fmt.Fprintf(&b, "rank: %d of %d, fitness %s under %s\n\n", sp.Rank, sp.Of, score(sp.Fitness), w.Label())
					if err := writeString(out, b.String()); err != nil {
						return err
					}
					if err := t.WriteText(out); err != nil {
						return err
					}
					b.Reset()
					b.WriteString("\nevidence:\n")
					for _, e := range sp.Evidence {
						fmt.Fprintf(&b, "  - %s\n", e)
					}
					return writeString(out, b.String())
				},
				Markdown: func(out io.Writer) error {
					var b strings.Builder
					fmt.Fprintf(&b, "## %s\n\n", sys.Name())
					fmt.Fprintf(&b, "Fitness **%s**, rank %d of %d under %s.", score(sp.Fitness), sp.Rank, sp.Of, w.Label())
					if len(sp.Aliases) > 0 {
						fmt.Fprintf(&b, " Aliases: %s.", strings.Join(sp.Aliases, ", "))
					}
					b.WriteString("\n\n")
					if err := writeString(out, b.String()); err != nil {
						return err
					}
					if err := t.WriteMarkdown(out); err != nil {
						return err
					}
					b.Reset()
					b.WriteString("\nEvidence:\n\n")
					for _, e := range sp.Evidence {
						fmt.Fprintf(&b, "- %s\n", e)
					}
					return writeString(out, b.String())
				},
			})
		},
	}
	wf.add(cmd)
	return cmd
}

// rankedProfile is one element of `vms rank --format json`: the profile's
// serde fields plus its fitness under the weighting.
type rankedProfile struct {
	vms.Profile
	Fitness float64 `json:"fitness"`
}

func (a *App) rankCmd() *cobra.Command {
	var wf weightFlags
	cmd := &cobra.Command{
		Use:   "rank [--weights AXIS=W,... | --preset NAME]",
		Short: "Rank every system best first by fitness",
		Long: `Rank every system best first by fitness: the unweighted mean of the five axes, as
in the reference, or a weighted mean under --weights or --preset. Ties keep the
catalog's order (gvisor stays ahead of docker at 0.65).

Presets:
` + presetHelp(),
		Example: `  agentic-eval vms rank
  agentic-eval vms rank --preset untrusted-code
  agentic-eval vms rank --weights start-latency=2,isolation=3 --format markdown`,
		Args: noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			w, err := wf.resolve(cmd)
			if err != nil {
				return err
			}
			t := NewTable("#", "SYSTEM", "FITNESS", "START-LATENCY", "DENSITY", "ISOLATION", "SNAPSHOTTING", "AGENT-CONTROL").
				AlignRight(0, 2, 3, 4, 5, 6, 7)
			rows := []rankedProfile{}
			for i, p := range vms.RankWeighted(w.Weights) {
				f := w.Weights.Fitness(p)
				cells := []string{strconv.Itoa(i + 1), p.System.Name(), score(f)}
				for _, ax := range vms.Axes() {
					cells = append(cells, score(p.Score(ax)))
				}
				t.AddRow(cells...)
				rows = append(rows, rankedProfile{Profile: p, Fitness: f})
			}
			note := ""
			if w.Chosen {
				note = "ranked under " + w.Label()
			}
			footer := curatedFooter()
			return a.emit(cmd, Output{
				JSON: rows,
				Text: func(out io.Writer) error {
					if note != "" {
						if err := writeString(out, note+"\n\n"); err != nil {
							return err
						}
					}
					if err := t.WriteText(out); err != nil {
						return err
					}
					return writeString(out, "\n"+footer+"\n")
				},
				Markdown: func(out io.Writer) error {
					if note != "" {
						if err := writeString(out, strings.ToUpper(note[:1])+note[1:]+".\n\n"); err != nil {
							return err
						}
					}
					if err := t.WriteMarkdown(out); err != nil {
						return err
					}
					return writeString(out, "\n"+footer+"\n")
				},
			})
		},
	}
	wf.add(cmd)
	return cmd
}

func (a *App) compareCmd() *cobra.Command {
	var wf weightFlags
	cmd := &cobra.Command{
		Use:   "compare A B",
		Short: "Compare system A against baseline B on every axis",
		Long: `Compare system A against baseline B: the fitness delta and one delta per axis,
A minus B, so a positive number means A fits agent workloads better. With --weights
or --preset the fitness delta is weighted; the axis deltas stay raw differences.`,
		Args: exactArgs(2, "two system names, A and B"),
		RunE: func(cmd *cobra.Command, args []string) error {
			sa, err := parseSystem(args[0])
			if err != nil {
				return err
			}
			sb, err := parseSystem(args[1])
			if err != nil {
				return err
			}
			w, err := wf.resolve(cmd)
			if err != nil {
				return err
			}
			c := vms.Compare(sa, sb)
			if w.Chosen {
				c = vms.CompareWeighted(sa, sb, w.Weights)
			}
			fa, fb := w.Weights.Fitness(c.A), w.Weights.Fitness(c.B)
			t := NewTable("AXIS", sa.Name(), sb.Name(), "DELTA").AlignRight(1, 2, 3)
			for _, d := range c.AxisDeltas {
				t.AddRow(d.Axis.Name(), score(c.A.Score(d.Axis)), score(c.B.Score(d.Axis)), delta(d.Delta))
			}
			t.AddRow("fitness", score(fa), score(fb), delta(c.FitnessDelta))
			return a.emit(cmd, Output{
				JSON: c,
				Text: func(out io.Writer) error {
					s := c.String()
					if w.Chosen {
						s += "fitness under " + w.Label() + "\n"
					}
					return writeString(out, s)
				},
				Markdown: func(out io.Writer) error {
					head := fmt.Sprintf("**%s vs %s**: fitness delta %s", sa.Name(), sb.Name(), delta(c.FitnessDelta))
					if w.Chosen {
						head += " under " + w.Label()
					}
					if err := writeString(out, head+"\n\n"); err != nil {
						return err
					}
					return t.WriteMarkdown(out)
				},
			})
		},
	}
	wf.add(cmd)
	return cmd
}

func (a *App) presetsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "presets",
		Short: "List the named weightings for rank, show and compare, with their rationale",
		Args:  noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			header := []string{"PRESET"}
			for _, ax := range vms.Axes() {
				header = append(header, strings.ToUpper(ax.Name()))
			}
			header = append(header, "RATIONALE")
			t := NewTable(header...).AlignRight(1, 2, 3, 4, 5)
			for _, p := range vms.Presets() {
				cells := []string{p.Name}
				for _, v := range p.Weights {
					cells = append(cells, weight(v))
				}
				t.AddRow(append(cells, p.Rationale)...)
			}
			return a.emit(cmd, Output{Table: t, JSON: vms.Presets()})
		},
	}
}

func writeString(w io.Writer, s string) error {
	_, err := io.WriteString(w, s)
	return err
}

// curatedFooter says under every curated ranking what its scores are, and
// that the reference's own system has nothing but its authors' word.
func curatedFooter() string {
	return "Curated scores: the catalog's judgments, not measurements. " +
		strings.ToUpper(vms.PublishedNone(vms.AetherVM)[:1]) + vms.PublishedNone(vms.AetherVM)[1:] + ". " +
		"`vms evaluate` puts measured and published figures beside them."
}
