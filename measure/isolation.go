package measure

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/probe"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/vms"
)

// isolation is the results.PhaseIsolation phase.
type isolation struct{}

func (isolation) name() results.Phase            { return results.PhaseIsolation }
func (isolation) wanted(s results.Settings) bool { return s.Has(results.PhaseIsolation) }
func (isolation) run(ctx context.Context, r *Runner, t target) {
	r.measureIsolation(ctx, t.d, t.vr, t.hostID)
}

// measureIsolation asks a fresh sandbox's probe for its facts (the one the
// start-latency phase left, or a new one), with a
// listener open on the host's loopback to see whether it is reachable from
// inside, and assesses the boundary against the host's identity.
func (r *Runner) measureIsolation(ctx context.Context, d driver.Driver, vr *results.VariantResult, hostID probe.HostIdentity) {
	r.progress(Event{Variant: d.Variant(), Phase: results.PhaseIsolation, Done: 0, Total: 1})
	defer r.progress(Event{Variant: d.Variant(), Phase: results.PhaseIsolation, Done: 1, Total: 1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		recordFailure(vr, results.PhaseIsolation, "", fmt.Errorf("open host loopback listener: %w", err))
		return
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	in := r.takeSpare() // the last start-latency sandbox, still fresh
	if in == nil {
		var err error
		if in, err = r.spawn(ctx, d); err != nil {
			if ctx.Err() == nil {
				recordFailure(vr, results.PhaseIsolation, "", err)
			}
			return
		}
		vr.Did(vms.OpCreate)
	}
	defer func() {
		if _, err := r.destroy(in); err != nil {
			recordFailure(vr, "teardown", in.id, err)
		}
	}()
	opCtx, cancel := context.WithTimeout(ctx, r.Settings.OpTimeout)
	defer cancel()
	msg, err := in.stream.Request(opCtx, "facts", ln.Addr().String())
	if err != nil {
		recordFailure(vr, results.PhaseIsolation, in.id, fmt.Errorf("ask probe for facts: %w", driver.TimedOut(opCtx, err)))
		return
	}
	facts, err := probe.ParseFacts(msg.Payload)
	if err != nil {
		recordFailure(vr, results.PhaseIsolation, in.id, fmt.Errorf("parse probe facts: %w", err))
		return
	}
	r.tryExec(ctx, d, vr, in)
	vr.Isolation = &results.Isolation{
		HostBootID:        hostID.BootID,
		HostKernelRelease: hostID.KernelRelease,
		Facts:             &facts,
		Assessment:        probe.Assess(hostID, facts, vr.Capabilities.Boundary),
	}
}

// tryExec runs the probe a second time inside the sandbox through the
// runtime's exec, when the driver offers it, and records the operation when
// the exec'd probe answered.
func (r *Runner) tryExec(ctx context.Context, d driver.Driver, vr *results.VariantResult, in *instance) {
	ex, ok := in.sb.(driver.Execer)
	if !ok {
		return
	}
	// Its own deadline: the facts request before it may have used most of
	// its own.
	opCtx, cancel := context.WithTimeout(ctx, r.Settings.OpTimeout)
	defer cancel()
	out, err := ex.Exec(opCtx, probe.ExecFlag)
	if err != nil {
		recordFailure(vr, results.PhaseIsolation, in.id, fmt.Errorf("exec in the sandbox: %w", driver.TimedOut(opCtx, err)))
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		if m, ok := probe.Parse(line); ok && m.Verb == probe.VerbExecOK {
			vr.Did(vms.OpExec)
			return
		}
	}
	recordFailure(vr, results.PhaseIsolation, in.id, fmt.Errorf("exec in the sandbox ran, but the probe did not answer %s: %q", probe.VerbExecOK, out))
}
