// Package registry lists every driver agentic-eval knows, in catalog order,
// so that the faces (CLI, reports) never name a driver package themselves.
// Its opinion: every catalog system has at least one entry, measurable or
// not; a system nobody can measure here is still listed, with its reason.
package registry

import (
	"github.com/agentic-eval/agentic-eval/drivers/docker"
	"github.com/agentic-eval/agentic-eval/drivers/gvisor"
	"github.com/agentic-eval/agentic-eval/drivers/qemu"
	"github.com/agentic-eval/agentic-eval/drivers/runc"
	"github.com/agentic-eval/agentic-eval/drivers/unavailable"
	"github.com/agentic-eval/agentic-eval/measure"
)

// Drivers returns fresh drivers for every variant, in catalog order
// (aethervm, firecracker, cloud-hypervisor, gvisor, kata, qemu-kvm,
// docker); within a system the preferred variant comes first, and an
// evaluation takes a system's effective profile from the first variant
// measured.
func Drivers() []measure.Driver {
	u := unavailable.All() // aethervm, firecracker, cloud-hypervisor, kata
	return []measure.Driver{
		u[0], u[1], u[2],
		gvisor.New(gvisor.Systrap), gvisor.New(gvisor.Ptrace),
		u[3],
		qemu.NewKVM(), qemu.NewTCG(),
		docker.New(), runc.New(),
	}
}

// Variants lists every variant's name, in Drivers order.
func Variants() []string {
	var out []string
	for _, d := range Drivers() {
		out = append(out, d.Variant())
	}
	return out
}
