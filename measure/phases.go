package measure

import (
	"time"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"

	"github.com/agentic-eval/agentic-eval/driver"
)

// phaseAcc gathers the stages of the counted starts, in the order first
// seen.
type phaseAcc struct {
	order   []string
	samples map[string][]time.Duration
}

func (a *phaseAcc) add(sb driver.Sandbox) {
	pr, ok := sb.(driver.StageReporter)
	if !ok {
		return
	}
	if a.samples == nil {
		a.samples = map[string][]time.Duration{}
	}
	for _, m := range pr.Stages() {
		if _, ok := a.samples[m.Name]; !ok {
			a.order = append(a.order, m.Name)
		}
		a.samples[m.Name] = append(a.samples[m.Name], m.After)
	}
}

func (a *phaseAcc) result() []results.StageSamples {
	var out []results.StageSamples
	for _, name := range a.order {
		ds := a.samples[name]
		out = append(out, results.StageSamples{Name: name, SamplesNS: nsList(ds), Summary: stats.Summarize(ds)})
	}
	return out
}
