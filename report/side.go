package report

import (
	"fmt"
	"strings"

	"github.com/agentic-eval/agentic-eval/compare"
	"github.com/agentic-eval/agentic-eval/evaluate"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/units"
)

// sideFigures are the figures the page sets side by side across runs:
// what the rubric scores and what an agent waits for.
var sideFigures = []string{"start-latency", "tti/python-hello/first-result", "warm/python-hello/probe", "density/per-instance", "snapshot/restore"}

// sideView is several runs (hosts) side by side.
type sideView struct {
	Hosts    []string   // one line per column: label, run and host
	Labels   []string   // the column labels
	Figures  [][]string // variant, figure, then a cell per run
	Fitness  [][]string // system, then fitness [CI] and rank per run
	Warnings []string
}

func sideOf(runs []*results.Results, opts Options) *sideView {
	s := compare.SideBySide(runs, sideFigures...)
	v := &sideView{Warnings: s.Warnings}
	for _, h := range s.Hosts {
		kvm := "KVM usable"
		if !h.KVM {
			kvm = "no usable KVM"
		}
		v.Labels = append(v.Labels, h.Label)
		v.Hosts = append(v.Hosts, fmt.Sprintf("%s: run %s on %s, %d cores, %d MiB, kernel %s, %s, virtualized: %s",
			h.Label, h.RunID, h.CPU, h.Cores, h.MemTotalMiB, h.Kernel, kvm, strings.ToLower(h.Virtualized)))
	}
	for _, r := range s.Rows {
		row := []string{r.Variant, r.Figure}
		for _, c := range r.Cells {
			switch {
			case !c.Measured:
				row = append(row, "–")
			case r.Unit == "ms":
				row = append(row, fmt.Sprintf("%s [%s, %s]", units.Millis(c.Median), units.Millis(c.Lo), units.Millis(c.Hi)))
			default:
				row = append(row, fmt.Sprintf("%.2f [%.2f, %.2f] %s", c.Median, c.Lo, c.Hi, r.Unit))
			}
		}
		v.Figures = append(v.Figures, row)
	}
	evs := make([]evaluate.Evaluation, len(runs))
	for i, r := range runs {
		evs[i] = evaluate.Evaluate(r, opts.Weights, evaluate.Options{Preferred: opts.Preferred})
	}
	for _, r0 := range evs[0].Rows {
		row := []string{r0.System.Name()}
		for _, ev := range evs {
			for _, r := range ev.Rows {
				if r.System != r0.System {
					continue
				}
				cell := f2(r.Fitness)
				if r.FitnessLo != nil && r.FitnessHi != nil {
					cell += fmt.Sprintf(" [%s, %s]", f2(*r.FitnessLo), f2(*r.FitnessHi))
				}
				rank := fmt.Sprint(r.Rank)
				if r.Tied {
					rank += "="
				}
				row = append(row, cell+" · #"+rank)
			}
		}
		v.Fitness = append(v.Fitness, row)
	}
	return v
}
