package report

import (
	"fmt"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/units"
)

// stageRow is one stage of a start, for variants whose driver reports
// stages (Kubernetes), as a median from the moment the runtime was asked.
type stageRow struct {
	Variant, Stage, N, At, Step string
}

// stageRows are the start stages of every variant that reports them.
func stageRows(res *results.Results) []stageRow {
	var out []stageRow
	for _, v := range res.Systems {
		if v.StartLatency == nil {
			continue
		}
		prev := 0.0
		for _, p := range v.StartLatency.Phases {
			if p.Summary.N == 0 {
				continue
			}
			step := p.Summary.Median - prev
			sign := "+"
			if step < 0 {
				sign, step = "-", -step
			}
			out = append(out, stageRow{Variant: v.Variant, Stage: p.Name, N: fmt.Sprint(p.Summary.N),
				At:   fmt.Sprintf("%s [%s, %s]", units.Millis(p.Summary.Median), units.Millis(p.Summary.Lo), units.Millis(p.Summary.Hi)),
				Step: sign + units.Millis(step)})
			prev = p.Summary.Median
		}
	}
	return out
}
