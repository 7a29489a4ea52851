package measure

import (
	"context"
	"fmt"
	"github.com/agentic-eval/agentic-eval/vms"
	"time"
)

// measureLatency spawns fresh sandboxes one after another: Warmups not
// counted, then Samples counted, each timed from the request to the probe's
// ready line; each teardown is timed apart.
func (r *Runner) measureLatency(ctx context.Context, d Driver, vr *VariantResult) {
	s := r.Settings
	var starts, teardowns []time.Duration
	total := s.Warmups + s.Samples
	consecutiveFailures := 0
	for i := 0; i < total && ctx.Err() == nil; i++ {
		r.progress(Event{Variant: d.Variant(), Phase: PhaseStartLatency, Done: i, Total: total})
		in, err := r.spawn(ctx, d)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			vr.fail(PhaseStartLatency, "", err)
			consecutiveFailures++
			if consecutiveFailures >= 3 {
				vr.fail(PhaseStartLatency, "", fmt.Errorf("gave up after 3 consecutive failures"))
				break
			}
			continue
		}
		consecutiveFailures = 0
		vr.did(vms.OpCreate)
		lat := in.latency()
		td, err := r.destroy(in)
		if err != nil {
			vr.fail("teardown", in.id, err)
			continue
		}
		vr.did(vms.OpDestroy)
		if i >= s.Warmups {
			starts = append(starts, lat)
			teardowns = append(teardowns, td)
		}
	}
	r.progress(Event{Variant: d.Variant(), Phase: PhaseStartLatency, Done: total, Total: total})
	if len(starts) == 0 && len(vr.Failures) == 0 {
		return // interrupted before anything
	}
	vr.StartLatency = &Latency{
		SamplesNS:  nsList(starts),
		Summary:    Summarize(starts),
		TeardownNS: nsList(teardowns),
		Teardown:   Summarize(teardowns),
		Warmups:    s.Warmups,
	}
	if len(starts) < s.Samples {
		vr.StartLatency.Summary.Warnings = append(vr.StartLatency.Summary.Warnings,
			fmt.Sprintf("only %d of %d samples succeeded", len(starts), s.Samples))
	}
}
