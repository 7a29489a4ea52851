package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/agentic-eval/agentic-eval/compare"
	"github.com/agentic-eval/agentic-eval/evaluate"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/units"
)

// sideFigures are the headline figures `vms results` sets side by side
// unless --all: what the rubric scores, and what an agent waits for.
var sideFigures = []string{
	"start-latency", "tti/python-hello/first-result", "warm/python-hello/probe",
	"density/per-instance", "snapshot/restore", "primed/restore",
}

// hostLines describes each run's column, one line per host.
func hostLines(hosts []compare.Host) string {
	var b strings.Builder
	for _, h := range hosts {
		kvm := "KVM usable"
		if !h.KVM {
			kvm = "no usable KVM"
		}
		virt := "virtualized: " + strings.ToLower(h.Virtualized)
		if h.Hypervisor != "" && h.Hypervisor != "Unknown" {
			virt += " (" + h.Hypervisor + ")"
		}
		fmt.Fprintf(&b, "%s: run %s on %s, %d cores, %d MiB, kernel %s, %s, %s\n", h.Label, h.RunID, h.CPU, h.Cores, h.MemTotalMiB, h.Kernel, kvm, virt)
	}
	return b.String()
}

func (a *App) emitSide(cmd *cobra.Command, s compare.Side) error {
	head := []string{"VARIANT", "FIGURE"}
	for _, h := range s.Hosts {
		head = append(head, h.Label+" p50 [95% CI]")
	}
	t := NewTable(head...)
	for i := range s.Hosts {
		t.AlignRight(2 + i)
	}
	for _, r := range s.Rows {
		cells := []string{r.Variant, r.Figure}
		for _, c := range r.Cells {
			cells = append(cells, cellText(c, r.Unit))
		}
		t.AddRow(cells...)
	}
	text := func(w io.Writer, md bool) error {
		hl := hostLines(s.Hosts)
		if md {
			hl = "- " + strings.ReplaceAll(strings.TrimSuffix(hl, "\n"), "\n", "\n- ") + "\n\n"
		}
		if err := writeString(w, hl+"\n"); err != nil {
			return err
		}
		var err error
		if md {
			err = t.WriteMarkdown(w)
		} else {
			err = t.WriteText(w)
		}
		if err != nil {
			return err
		}
		var b strings.Builder
		for _, wn := range s.Warnings {
			fmt.Fprintf(&b, "warning: %s\n", wn)
		}
		if b.Len() > 0 {
			return writeString(w, "\n"+b.String())
		}
		return nil
	}
	return a.emit(cmd, Output{
		JSON:     s,
		Text:     func(w io.Writer) error { return text(w, false) },
		Markdown: func(w io.Writer) error { return text(w, true) },
	})
}

func cellText(c compare.Cell, unit string) string {
	if !c.Measured {
		return "-"
	}
	if unit == "ms" {
		return fmt.Sprintf("%s [%s, %s]", units.Millis(c.Median), units.Millis(c.Lo), units.Millis(c.Hi))
	}
	return fmt.Sprintf("%.2f [%.2f, %.2f] %s", c.Median, c.Lo, c.Hi, unit)
}

// emitEvaluations sets the evaluations of several runs side by side: per
// system, each host's fitness with its interval and rank.
func (a *App) emitEvaluations(cmd *cobra.Command, runs []*results.Results, evs []evaluate.Evaluation, w weighting) error {
	side := compare.SideBySide(runs, "none")
	type cell struct {
		Host    string   `json:"host"`
		RunID   string   `json:"run_id"`
		Fitness float64  `json:"fitness"`
		Lo      *float64 `json:"fitness_ci_lo,omitempty"`
		Hi      *float64 `json:"fitness_ci_hi,omitempty"`
		Rank    int      `json:"rank"`
		Tied    bool     `json:"tied,omitempty"`
		Primary string   `json:"primary,omitempty"`
	}
	type row struct {
		System  string `json:"system"`
		Curated float64
		Hosts   []cell `json:"hosts"`
	}
	var rows []row
	head := []string{"SYSTEM", "CURATED"}
	for _, h := range side.Hosts {
		head = append(head, h.Label+" FITNESS [95% CI]", h.Label+" RANK", h.Label+" FROM")
	}
	t := NewTable(head...)
	t.AlignRight(1)
	for i := range side.Hosts {
		t.AlignRight(2+3*i, 3+3*i)
	}
	// Rows in the first run's order.
	for _, r0 := range evs[0].Rows {
		rw := row{System: r0.System.Name(), Curated: r0.CuratedFitness}
		cells := []string{r0.System.Name(), score(r0.CuratedFitness)}
		for i, ev := range evs {
			for _, r := range ev.Rows {
				if r.System != r0.System {
					continue
				}
				rank := fmt.Sprint(r.Rank)
				if r.Tied {
					rank += "="
				}
				from := r.Primary
				if from == "" {
					from = "-"
				}
				cells = append(cells, score(r.Fitness)+interval(r.FitnessLo, r.FitnessHi), rank, from)
				rw.Hosts = append(rw.Hosts, cell{Host: side.Hosts[i].Label, RunID: ev.RunID, Fitness: r.Fitness, Lo: r.FitnessLo, Hi: r.FitnessHi, Rank: r.Rank, Tied: r.Tied, Primary: r.Primary})
			}
		}
		t.AddRow(cells...)
		rows = append(rows, rw)
	}
	out := struct {
		Weighting string         `json:"weighting"`
		Rubric    string         `json:"rubric"`
		Hosts     []compare.Host `json:"hosts"`
		Rows      []row          `json:"rows"`
		Warnings  []string       `json:"warnings,omitempty"`
	}{w.Label(), evs[0].Rubric, side.Hosts, rows, side.Warnings}
	text := func(wr io.Writer, md bool) error {
		hl := hostLines(side.Hosts)
		if md {
			hl = "- " + strings.ReplaceAll(strings.TrimSuffix(hl, "\n"), "\n", "\n- ") + "\n\n"
		}
		if err := writeString(wr, fmt.Sprintf("evaluation under %s, %s, %d runs side by side\n", w.Label(), evs[0].Rubric, len(evs))+hl+"\n"); err != nil {
			return err
		}
		var err error
		if md {
			err = t.WriteMarkdown(wr)
		} else {
			err = t.WriteText(wr)
		}
		if err != nil {
			return err
		}
		var b strings.Builder
		b.WriteString("\nA rank marked = is shared on that host: the fitness cannot be told apart at 95%. FROM is the variant measured; - is curated or published only. `vms evaluate --results FILE` details one host.\n")
		for _, wn := range side.Warnings {
			fmt.Fprintf(&b, "warning: %s\n", wn)
		}
		return writeString(wr, b.String())
	}
	return a.emit(cmd, Output{
		JSON:     out,
		Text:     func(wr io.Writer) error { return text(wr, false) },
		Markdown: func(wr io.Writer) error { return text(wr, true) },
	})
}
