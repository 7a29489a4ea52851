// Package registry lists every driver agentic-eval knows, in catalog order,
// so that the faces (CLI, reports) never name a driver package themselves.
// Its opinions: every catalog system has at least one entry, measurable or
// not, and a system nobody can measure here is still listed, with its
// reason; a driver is found by its variant's name, never by its position;
// and which variant speaks for a system is stated here, as data, so that an
// evaluation never depends on the order of a command line or a file.
package registry

import (
	"fmt"
	"os"

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
	// Variant is the driver's variant name (measure.Driver.Variant).
	Variant string
	// New returns a fresh driver for the variant.
	New func() driver.Driver
}

// entries are in catalog order (aethervm, firecracker, cloud-hypervisor,
// gvisor, kata, qemu-kvm, docker) and, within a system, in its preference
// order.
var entries = []Entry{
	{"aethervm", func() driver.Driver { return unavailable.AetherVM() }},
	{"firecracker", func() driver.Driver { return unavailable.Firecracker() }},
	{"cloud-hypervisor", func() driver.Driver { return unavailable.CloudHypervisor() }},
	{"gvisor/systrap", func() driver.Driver { return gvisor.New(gvisor.Systrap) }},
	{"gvisor/ptrace", func() driver.Driver { return gvisor.New(gvisor.Ptrace) }},
	{"k8s/gvisor", func() driver.Driver { return k8s.New(k8s.GVisor) }},
	{"kata", func() driver.Driver { return unavailable.Kata() }},
	{"k8s/kata", func() driver.Driver { return k8s.New(k8s.Kata) }},
	{"qemu-kvm/kvm", func() driver.Driver { return qemu.NewKVM() }},
	{"qemu-kvm/tcg", func() driver.Driver { return qemu.NewTCG() }},
	{"docker", func() driver.Driver { return docker.New() }},
	{"docker/crun", func() driver.Driver { return crun.New() }},
	{"docker/runc", func() driver.Driver { return runc.New() }},
	{"k8s/runc", func() driver.Driver { return k8s.New(k8s.Runc) }},
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

// SetKubeconfig points the Kubernetes variants at the cluster of the
// kubeconfig at path (the CLI's --kubeconfig): it must be a regular file.
// It wins over $KUBECONFIG and ~/.kube/config, for this process and the
// processes it starts.
func SetKubeconfig(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("kubeconfig %s is not a regular file (%s)", path, st.Mode().Type())
	}
	return os.Setenv(k8s.KubeconfigEnv, path)
}

// Entries returns every entry, in catalog order.
func Entries() []Entry { return append([]Entry(nil), entries...) }

// Drivers returns fresh drivers for every variant, in Entries order.
func Drivers() []driver.Driver {
	out := make([]driver.Driver, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.New())
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
			return e.New(), true
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
