package measure

import (
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
)

// PhaseSamples are one stage's times over the start-latency samples, each
// from the moment the runtime was asked; a stage a sample never reported
// (a condition the watch skipped) is absent from that sample, so N may be
// below the starts'.
type PhaseSamples struct {
	Name      string  `json:"name"`
	SamplesNS []int64 `json:"samples_ns"`
	Summary   Summary `json:"summary"`
}

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

func (a *phaseAcc) result() []PhaseSamples {
	var out []PhaseSamples
	for _, name := range a.order {
		ds := a.samples[name]
		out = append(out, PhaseSamples{Name: name, SamplesNS: nsList(ds), Summary: Summarize(ds)})
	}
	return out
}
