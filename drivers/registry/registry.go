// Package registry lists every driver agentic-eval knows, in catalog order,
// so that the faces (CLI, reports) never name a driver package themselves.
// Its opinions: every catalog system has at least one entry, measurable or
// not, and a system nobody can measure here is still listed, with its
// reason; a driver is found by its variant's name, never by its position;
// and which variant speaks for a system is stated here, as data, so that an
// evaluation never depends on the order of a command line or a file.
package registry

import (
	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/drivers/crun"
	"github.com/agentic-eval/agentic-eval/drivers/docker"
	"github.com/agentic-eval/agentic-eval/drivers/gvisor"
	"github.com/agentic-eval/agentic-eval/drivers/k8s"
	"github.com/agentic-eval/agentic-eval/drivers/qemu"
	"github.com/agentic-eval/agentic-eval/drivers/runc"
	"github.com/agentic-eval/agentic-eval/drivers/unavailable"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Entry is one variant the registry knows.
type Entry struct {
	// Variant is the driver's variant name (driver.Driver.Variant).
	Variant string
	// New returns a fresh driver for the variant, configured by o.
	New func(o Options) driver.Driver
}

// Options configure the drivers the registry makes.
type Options struct {
	// Kubeconfig names the cluster of the Kubernetes variants; "" is the
	// usual search ($KUBECONFIG, ~/.kube/config, in-cluster, the project's
	// own cluster).
	Kubeconfig string
}

// entries are in catalog order (aethervm, firecracker, cloud-hypervisor,
// gvisor, kata, qemu-kvm, docker) and, within a system, in its preference
// order.
var entries = []Entry{
	{"aethervm", func(Options) driver.Driver { return unavailable.AetherVM() }},
	{"firecracker", func(Options) driver.Driver { return unavailable.Firecracker() }},
	{"cloud-hypervisor", func(Options) driver.Driver { return unavailable.CloudHypervisor() }},
	{"gvisor/systrap", func(Options) driver.Driver { return gvisor.New(gvisor.Systrap) }},
	{"gvisor/ptrace", func(Options) driver.Driver { return gvisor.New(gvisor.Ptrace) }},
	{"k8s/gvisor", func(o Options) driver.Driver { return k8s.NewOn(k8s.GVisor, o.Kubeconfig) }},
	{"kata", func(Options) driver.Driver { return unavailable.Kata() }},
	{"k8s/kata", func(o Options) driver.Driver { return k8s.NewOn(k8s.Kata, o.Kubeconfig) }},
	{"qemu-kvm/kvm", func(Options) driver.Driver { return qemu.NewKVM() }},
	{"qemu-kvm/tcg", func(Options) driver.Driver { return qemu.NewTCG() }},
	{"docker", func(Options) driver.Driver { return docker.New() }},
	{"docker/crun", func(Options) driver.Driver { return crun.New() }},
	{"docker/runc", func(Options) driver.Driver { return runc.New() }},
	{"k8s/runc", func(o Options) driver.Driver { return k8s.NewOn(k8s.Runc, o.Kubeconfig) }},
}

// preferred states, per system with more than one way to run it, which
// variant speaks for the system, most preferred first: the production path
// before a stand-in (the Engine before bare runc, systrap before ptrace,
// KVM before software emulation, a runtime driven directly before the
// same runtime through Kubernetes, whose figures add the cluster's own).
// An evaluation skips a name it has no measurement for.
var preferred = map[vms.System][]string{
	vms.Docker:  {"docker", "docker/crun", "docker/runc", "k8s/runc"},
	vms.GVisor:  {"gvisor/systrap", "gvisor/ptrace", "k8s/gvisor"},
	vms.Kata:    {"kata", "k8s/kata"},
	vms.QEMUKVM: {"qemu-kvm/kvm", "qemu-kvm/tcg"},
}

// Entries returns every entry, in catalog order.
func Entries() []Entry { return append([]Entry(nil), entries...) }

// Drivers returns fresh drivers for every variant, in Entries order.
func Drivers() []driver.Driver { return DriversWith(Options{}) }

// DriversWith is Drivers configured by o.
func DriversWith(o Options) []driver.Driver {
	out := make([]driver.Driver, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.New(o))
	}
	return out
}

// Variants lists every variant's name, in Entries order.
func Variants() []string {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.Variant)
	}
	return out
}

// Lookup returns a fresh driver for the variant named exactly so.
func Lookup(variant string) (driver.Driver, bool) {
	for _, e := range entries {
		if e.Variant == variant {
			return e.New(Options{}), true
		}
	}
	return nil, false
}

// Preferred returns, per system, its variants most preferred first; an
// evaluation takes a system's effective profile from the most preferred
// variant it has a measurement of (evaluate.Options.Preferred). Systems
// with a single variant are absent. The map is a copy, the caller's to
// change.
func Preferred() map[vms.System][]string {
	out := make(map[vms.System][]string, len(preferred))
	for s, vs := range preferred {
		out[s] = append([]string(nil), vs...)
	}
	return out
}
