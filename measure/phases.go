package measure

import "time"

// PhaseMark is one moment of a sandbox's start as its driver saw it: the
// named step was reached After the driver asked the runtime (Spec.Asking).
// Drivers whose runtime goes through several stages (Kubernetes: accepted,
// scheduled, sandbox created, started, Ready) report them, so that a start
// can be read stage by stage.
type PhaseMark struct {
	Name  string
	After time.Duration
}

// PhaseReporter is implemented by sandboxes that report the stages of
// their start. Phases is read once, after Start returned.
type PhaseReporter interface {
	Phases() []PhaseMark
}

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

func (a *phaseAcc) add(sb Sandbox) {
	pr, ok := sb.(PhaseReporter)
	if !ok {
		return
	}
	if a.samples == nil {
		a.samples = map[string][]time.Duration{}
	}
	for _, m := range pr.Phases() {
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
