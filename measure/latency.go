package measure

import (
	"context"
	"fmt"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
)

// startLatency is the results.PhaseStartLatency phase.
type startLatency struct{}

func (startLatency) name() results.Phase                          { return results.PhaseStartLatency }
func (startLatency) wanted(s results.Settings) bool               { return s.Has(results.PhaseStartLatency) }
func (startLatency) run(ctx context.Context, r *Runner, t target) { r.measureLatency(ctx, t.d, t.vr) }

// measureLatency spawns fresh sandboxes one after another: Warmups not
// counted, then samples counted under the run's Sampling rule, each timed
// from the moment the driver asked the runtime to the probe's ready line;
// the harness's own preparation and each teardown are timed apart. When
// the isolation phase follows, the last sandbox is kept for it (r.spare),
// so its teardown is not among the teardown samples.
func (r *Runner) measureLatency(ctx context.Context, d driver.Driver, vr *results.VariantResult) {
	s := r.Settings
	var starts, preps, teardowns []time.Duration
	var stages stageAcc
	sp := sampling(s, s.Samples).Begin()
	consecutiveFailures := 0
	for warm := 0; ctx.Err() == nil && (warm < s.Warmups || sp.More()); {
		done := sp.N() + warm
		r.progress(Event{Variant: d.Variant(), Phase: results.PhaseStartLatency, Done: done, Total: s.Warmups + s.Samples})
		in, err := r.spawn(ctx, d)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			recordFailure(vr, results.PhaseStartLatency, "", err)
			consecutiveFailures++
			if consecutiveFailures >= 3 {
				recordFailure(vr, results.PhaseStartLatency, "", fmt.Errorf("gave up after 3 consecutive failures"))
				sp.Halt(stats.StopFailures, "3 consecutive failures")
				break
			}
			continue
		}
		consecutiveFailures = 0
		vr.Did(vms.OpCreate)
		lat, prep := in.latency(), in.prep()
		counted := warm >= s.Warmups
		// With the isolation phase to follow, a counted sample counts
		// before its teardown, so that the last one, still fresh, can be
		// kept for it instead of booting another.
		keep := counted && s.Has(results.PhaseIsolation)
		if keep {
			sp.Add(float64(lat))
			starts, preps = append(starts, lat), append(preps, prep)
			stages.add(in.sb)
			if !sp.More() {
				r.spare = in
				break
			}
		}
		td, err := r.destroy(in)
		if err != nil {
			recordFailure(vr, "teardown", in.id, err)
			continue
		}
		vr.Did(vms.OpDestroy)
		if !counted {
			warm++
			if warm == s.Warmups {
				sp = sampling(s, s.Samples).Begin() // the budget counts from the first counted sample
			}
			continue
		}
		if !keep {
			starts, preps = append(starts, lat), append(preps, prep)
			stages.add(in.sb)
			sp.Add(float64(lat))
		}
		teardowns = append(teardowns, td)
	}
	if ctx.Err() != nil {
		sp.Halt(stats.StopInterrupted, "the run was interrupted")
	}
	r.progress(Event{Variant: d.Variant(), Phase: results.PhaseStartLatency, Done: s.Warmups + s.Samples, Total: s.Warmups + s.Samples})
	if len(starts) == 0 && len(vr.Failures) == 0 {
		return // interrupted before anything
	}
	vr.StartLatency = &results.Latency{
		SamplesNS:  nsList(starts),
		Summary:    stats.Summarize(starts),
		PrepNS:     nsList(preps),
		Prep:       stats.Summarize(preps),
		TeardownNS: nsList(teardowns),
		Teardown:   stats.Summarize(teardowns),
		Warmups:    s.Warmups,
		Stop:       sp.Result(),
		Phases:     stages.result(),
	}
	if len(starts) < s.MinSamples {
		vr.StartLatency.Summary.Warnings = append(vr.StartLatency.Summary.Warnings,
			fmt.Sprintf("only %d samples succeeded, fewer than the floor of %d", len(starts), s.MinSamples))
	}
}
