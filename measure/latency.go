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

// measureBurst requests K spawns at the same instant and records each
// spawn's latency and the spawns per second achieved.
func (r *Runner) measureBurst(ctx context.Context, d Driver, vr *VariantResult) {
	k := r.Settings.Burst
	type outcome struct {
		in  *instance
		err error
	}
	results := make([]outcome, k)
	gate := make(chan struct{})
	done := make(chan int, k)
	for i := 0; i < k; i++ {
		go func() {
			<-gate
			in, err := r.spawn(ctx, d)
			results[i] = outcome{in, err}
			done <- i
		}()
	}
	r.progress(Event{Variant: d.Variant(), Phase: PhaseBurst, Done: 0, Total: k, Message: fmt.Sprintf("%d spawns at once", k)})
	first := time.Now()
	close(gate)
	for n := 0; n < k; n++ {
		<-done
		r.progress(Event{Variant: d.Variant(), Phase: PhaseBurst, Done: n + 1, Total: k})
	}
	var lats []time.Duration
	var last time.Time
	for _, o := range results {
		if o.err != nil {
			if ctx.Err() == nil {
				vr.fail(PhaseBurst, "", o.err)
			}
			continue
		}
		lats = append(lats, o.in.latency())
		if o.in.ready.After(last) {
			last = o.in.ready
		}
	}
	for _, o := range results {
		if o.in != nil {
			if _, err := r.destroy(o.in); err != nil {
				vr.fail("teardown", o.in.id, err)
			}
		}
	}
	if ctx.Err() != nil && len(lats) == 0 {
		return
	}
	b := &Burst{K: k, Started: len(lats), SamplesNS: nsList(lats), Summary: Summarize(lats)}
	if len(lats) > 0 {
		b.WallNS = int64(last.Sub(first))
		b.SpawnsPerSecond = float64(len(lats)) / last.Sub(first).Seconds()
	}
	vr.Burst = b
}
