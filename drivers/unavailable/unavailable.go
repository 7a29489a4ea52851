package unavailable

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Driver fingerprints one system that has no measuring driver here.
type Driver struct {
	system   vms.System
	binaries []string // looked for on PATH, in order
	needsKVM bool
	// noRelease, when set, is why there is nothing to drive at all.
	noRelease string
	install   string // how to get the binary
	boundary  vms.Boundary
	control   driver.ControlPlane
	// LookPath and KVM are the host checks, inputs of the fingerprint:
	// tests give them a PATH and a KVM of their own, so that the verdict
	// holds whatever this host has. The defaults are the real ones.
	LookPath func(string) (string, error)
	KVM      func() host.KVM
}

// Firecracker needs the firecracker binary (and its jailer) and KVM.
func Firecracker() *Driver {
	return &Driver{
		system: vms.Firecracker, binaries: []string{"firecracker"}, needsKVM: true,
		install:  "install the firecracker release binary on PATH (no Debian package exists)",
		boundary: vms.BoundaryHardware,
		control:  driver.ControlPlane{Kind: "REST API on a unix socket", Programmatic: true, MachineErrors: true, DiscoverableSchema: true},
	}
}

// CloudHypervisor needs the cloud-hypervisor binary and KVM.
func CloudHypervisor() *Driver {
	return &Driver{
		system: vms.CloudHypervisor, binaries: []string{"cloud-hypervisor"}, needsKVM: true,
		install:  "install the cloud-hypervisor release binary on PATH (no package in Debian 12)",
		boundary: vms.BoundaryHardware,
		control:  driver.ControlPlane{Kind: "REST API on a unix socket, D-Bus", Programmatic: true, MachineErrors: true, DiscoverableSchema: true},
	}
}

// Kata needs the kata-runtime (or containerd-shim-kata-v2) binary and KVM.
func Kata() *Driver {
	return &Driver{
		system: vms.Kata, binaries: []string{"kata-runtime", "containerd-shim-kata-v2"}, needsKVM: true,
		install:  "install Kata Containers (kata-runtime and its guest assets; no package in Debian 12)",
		boundary: vms.BoundaryHardware,
		control:  driver.ControlPlane{Kind: "OCI runtime behind containerd (CRI)", Programmatic: true, MachineErrors: true},
	}
}

// AetherVM has no public release this project can install and drive.
func AetherVM() *Driver {
	return &Driver{
		system: vms.AetherVM, binaries: []string{"aethervm"}, needsKVM: true,
		noRelease: "AetherVM has no public release or documented interface to drive, so its figures cannot be measured by a third party",
		install:   "a public AetherVM release with a documented control API, and a driver for it in this project",
		boundary:  vms.BoundaryHardware,
		control:   driver.ControlPlane{Kind: "MCP tool registry and REST agent API (as claimed)", Programmatic: true, ToolNative: true},
	}
}

// All returns the four, in catalog order.
func All() []*Driver { return []*Driver{AetherVM(), Firecracker(), CloudHypervisor(), Kata()} }

// System implements measure.Driver.
func (d *Driver) System() vms.System { return d.system }

// Variant implements measure.Driver: the system's own name.
func (d *Driver) Variant() string { return d.system.Name() }

// Capabilities implements measure.Driver. They are the system's declared
// abilities; none is exercised here.
func (d *Driver) Capabilities() driver.Capabilities {
	return driver.Capabilities{Boundary: d.boundary, Control: d.control}
}

// Fingerprint implements measure.Driver: always unavailable, with every
// missing piece named, and the binary named where one was found (a user
// who installed it is told that it was seen, whatever else is missing).
func (d *Driver) Fingerprint(ctx context.Context) driver.Fingerprint {
	fp := driver.Fingerprint{Details: map[string]string{}}
	var missing []string
	if d.noRelease != "" {
		missing = append(missing, d.noRelease)
	}
	look := d.LookPath
	if look == nil {
		look = exec.LookPath
	}
	found := ""
	for _, b := range d.binaries {
		if p, err := look(b); err == nil {
			found = p
			break
		}
	}
	if found == "" && d.noRelease == "" {
		missing = append(missing, fmt.Sprintf("binary not found on PATH (looked for %s)", strings.Join(quoteAll(d.binaries), ", ")))
	}
	if found != "" {
		fp.Details["binary"] = found
	}
	needKVM := false
	if d.needsKVM {
		check := d.KVM
		if check == nil {
			check = func() host.KVM { return host.CheckKVM("/dev/kvm") }
		}
		k := check()
		if k.Usable {
			fp.Details["kvm"] = k.Device + " usable"
		} else {
			fp.Details["kvm"] = k.Reason
			missing = append(missing, "no usable KVM: "+k.Reason)
			needKVM = true
		}
	}
	// The driver this project lacks is missing whatever the host has.
	if found != "" {
		missing = append(missing, fmt.Sprintf("%s is installed at %s, but this version of agentic-eval has no driver for it", d.system.Name(), found))
	}
	fp.Reason = strings.Join(missing, "; ")
	fixes := []string{d.install}
	if found != "" && d.noRelease == "" {
		fixes = []string{fmt.Sprintf("a version of agentic-eval with a %s driver", d.system.Name())}
	}
	if needKVM {
		fixes = append(fixes, "run on a host with hardware virtualization exposed (bare metal, or a VM with nested virtualization) and /dev/kvm readable by this user")
	}
	fp.Fix = strings.Join(fixes, "; ")
	return fp
}

// ErrUnavailable is returned by Start: these drivers never start anything.
var ErrUnavailable = errors.New("no driver can start this system on this host")

// Start implements measure.Driver by refusing, with the fingerprint's reason.
func (d *Driver) Start(ctx context.Context, spec driver.Spec) (driver.Sandbox, error) {
	return nil, fmt.Errorf("start %s sandbox %s: %w: %s", d.system.Name(), spec.ID, ErrUnavailable, d.Fingerprint(ctx).Reason)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
