package measure

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/vms"

	"github.com/agentic-eval/agentic-eval/probe"
)

// measureIsolation asks a fresh sandbox's probe for its facts (the one the
// start-latency phase left, or a new one), with a
// listener open on the host's loopback to see whether it is reachable from
// inside, and assesses the boundary against the host's identity.
func (r *Runner) measureIsolation(ctx context.Context, d driver.Driver, vr *VariantResult, hostID probe.HostIdentity) {
	r.progress(Event{Variant: d.Variant(), Phase: PhaseIsolation, Done: 0, Total: 1})
	defer r.progress(Event{Variant: d.Variant(), Phase: PhaseIsolation, Done: 1, Total: 1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		vr.fail(PhaseIsolation, "", fmt.Errorf("open host loopback listener: %w", err))
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
				vr.fail(PhaseIsolation, "", err)
			}
			return
		}
		vr.did(vms.OpCreate)
	}
	defer func() {
		if _, err := r.destroy(in); err != nil {
			vr.fail("teardown", in.id, err)
		}
	}()
	opCtx, cancel := context.WithTimeout(ctx, r.Settings.OpTimeout)
	defer cancel()
	msg, err := in.stream.Request(opCtx, "facts", ln.Addr().String())
	if err != nil {
		vr.fail(PhaseIsolation, in.id, fmt.Errorf("ask probe for facts: %w", timeoutCause(opCtx, err)))
		return
	}
	facts, err := probe.ParseFacts(msg.Payload)
	if err != nil {
		vr.fail(PhaseIsolation, in.id, fmt.Errorf("parse probe facts: %w", err))
		return
	}
	r.tryExec(ctx, d, vr, in)
	vr.Isolation = &Isolation{
		HostBootID:        hostID.BootID,
		HostKernelRelease: hostID.KernelRelease,
		Facts:             &facts,
		Assessment:        probe.Assess(hostID, facts, vr.Capabilities.Boundary),
	}
}

// tryExec runs the probe a second time inside the sandbox through the
// runtime's exec, when the driver offers it, and records the operation when
// the exec'd probe answered.
func (r *Runner) tryExec(ctx context.Context, d driver.Driver, vr *VariantResult, in *instance) {
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
		vr.fail(PhaseIsolation, in.id, fmt.Errorf("exec in the sandbox: %w", timeoutCause(opCtx, err)))
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		if m, ok := probe.Parse(line); ok && m.Verb == probe.VerbExecOK {
			vr.did(vms.OpExec)
			return
		}
	}
	vr.fail(PhaseIsolation, in.id, fmt.Errorf("exec in the sandbox ran, but the probe did not answer %s: %q", probe.VerbExecOK, out))
}
