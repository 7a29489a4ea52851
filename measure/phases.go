package measure

import (
	"context"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/probe"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
)

// phase is one measurement a run makes of each variant: its name, whether
// the run's settings ask for it, and its run, which records its result and
// its failures in the variant's result. A phase lives in a file of its own
// with its type; the table below orders them. (Its settings and its result
// are in package results, beside the vocabulary a reader needs.)
type phase interface {
	name() results.Phase
	wanted(s results.Settings) bool
	run(ctx context.Context, r *Runner, t target)
}

// target is what a phase measures: one driver, the variant result it
// fills, and the host's identity as the probe compares it.
type target struct {
	d      driver.Driver
	vr     *results.VariantResult
	hostID probe.HostIdentity
}

// phases are every phase, in the order a run performs them (as
// results.AllPhases lists them).
var phases = []phase{
	startLatency{}, burst{}, arrivals{}, density{}, churn{}, isolation{}, snapshot{}, workloads{},
}

// stageAcc gathers the stages of the counted starts, in the order first
// seen.
type stageAcc struct {
	order   []string
	samples map[string][]time.Duration
}

func (a *stageAcc) add(sb driver.Sandbox) {
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

func (a *stageAcc) result() []results.StageSamples {
	var out []results.StageSamples
	for _, name := range a.order {
		ds := a.samples[name]
		out = append(out, results.StageSamples{Name: name, SamplesNS: nsList(ds), Summary: stats.Summarize(ds)})
	}
	return out
}
