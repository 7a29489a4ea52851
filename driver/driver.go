package driver

import (
	"context"
	"io"

	"github.com/agentic-eval/agentic-eval/vms"
)

// Driver measures one vms.System through one runtime: one variant.
type Driver interface {
	// System is the catalog row this driver's figures belong to.
	System() vms.System
	// Variant names the runtime path within that row, e.g. "docker" for the
	// Engine, "docker/runc" for runc directly, "gvisor/systrap",
	// "qemu-kvm/tcg". It is unique across drivers and lowercase.
	Variant() string
	// Fingerprint says whether the driver can run here and, when not,
	// precisely why and what would fix it. It must not start a sandbox.
	Fingerprint(ctx context.Context) Fingerprint
	// Capabilities are the driver's abilities, as static data: they never
	// depend on Fingerprint having run, nor on the host. Whether an ability
	// works on this host is what its attempt finds out.
	Capabilities() Capabilities
	// Start launches one sandbox whose entry point is the probe. Before it
	// asks the runtime to start anything, it must call spec.Attach exactly
	// once with the probe's output and input streams, so that the harness
	// reads (and timestamps) the ready line as it arrives. On error Start
	// removes whatever it created.
	Start(ctx context.Context, spec Spec) (Sandbox, error)
}

// Spec is what the harness asks a driver to start.
type Spec struct {
	// ID is the harness's unique name for the sandbox ("ae-<run>-<n>", n in
	// six digits: no ID is a prefix of another), usable as a container or
	// VM name. Every object the driver creates carries it, so that
	// leftovers are findable.
	ID string
	// Probe is the host path of the static probe binary, the sandbox's
	// entry point.
	Probe string
	// Args are passed to the probe.
	Args []string
	// Dir is a scratch directory the harness created for this sandbox and
	// removes after Destroy. Bundles, sockets and logs go here.
	Dir string
	// Image is the root filesystem the sandbox runs; the zero Image is the
	// probe-only rootfs (the ready baseline). A driver without
	// Capabilities.Image refuses any other.
	Image Image
	// Attach receives the probe's output (its stdout or console) and its
	// input (its stdin or console). The driver calls it once, before the
	// runtime is asked to start.
	Attach func(out io.Reader, in io.Writer)
	// Asking, when the driver calls it, marks the moment its own
	// preparation (bundle, files, pipes) is done and it is about to ask the
	// runtime for the sandbox: the runtime's figures are timed from there,
	// and the preparation is reported apart as the harness's own work. A
	// driver calls it at most once, after Attach when Attach comes first;
	// one that never calls it is timed from the request.
	Asking func()
}

// Sandbox is one running sandbox.
type Sandbox interface {
	// ID is Spec.ID.
	ID() string
	// HostPIDs are the host processes that make up the sandbox (runtime
	// shims, sandbox kernels, VMMs, the probe itself when it is a host
	// process), for PSS accounting.
	HostPIDs(ctx context.Context) ([]int, error)
	// MemoryCgroup is the absolute path of the sandbox's memory cgroup
	// directory on the host, or "" when it has none.
	MemoryCgroup(ctx context.Context) (string, error)
	// Destroy stops the sandbox and removes everything the driver created
	// for it. It is idempotent and must be called even when Start's caller
	// gave up on the sandbox; ctx bounds how long it may take.
	Destroy(ctx context.Context) error
}

// Image is a root filesystem built for sandboxes: Debian with python3 and
// numpy, and the probe's mount point (package image builds and finds it).
type Image struct {
	Key    string `json:"key"`    // the cache key of its package list
	Rootfs string `json:"rootfs"` // the unpacked tree, used read-only
	Tar    string `json:"tar"`    // the same tree as a tar, for image imports
	// TarBytes and RootfsBytes are its sizes.
	TarBytes    int64 `json:"tar_bytes"`
	RootfsBytes int64 `json:"rootfs_bytes"`
}

// IsZero reports whether i is the probe-only rootfs.
func (i Image) IsZero() bool { return i.Rootfs == "" }

// Fingerprint is a driver's account of itself on this host.
type Fingerprint struct {
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"` // why not available: precise, one line
	Fix       string `json:"fix,omitempty"`    // what would make it available
	Version   string `json:"version,omitempty"`
	// Details are facts found while fingerprinting (binary path, API
	// version, platform, accelerator).
	Details map[string]string `json:"details,omitempty"`
	// Warnings qualify figures measured through this driver, e.g. software
	// emulation does not represent KVM.
	Warnings []string `json:"warnings,omitempty"`
}

// Capabilities are what a driver can do, as data.
type Capabilities struct {
	Snapshot    bool `json:"snapshot"`     // capture a running sandbox's memory and state
	Restore     bool `json:"restore"`      // start a sandbox from a snapshot
	RestoreMany bool `json:"restore_many"` // restore several sandboxes from one snapshot (fork)
	Exec        bool `json:"exec"`         // run a further process in a running sandbox
	// Image says the driver runs a sandbox on an image (Spec.Image), not
	// only on the probe-only rootfs.
	Image bool `json:"image"`
	// Boundary is the isolation class the driver declares. Measurements
	// may override it where the probe's facts decide.
	Boundary vms.Boundary `json:"boundary"`
	// Control describes the control plane the driver goes through.
	Control ControlPlane `json:"control"`
}

// ControlPlane describes how a driver's runtime is driven, for the
// agent-control checklist.
type ControlPlane struct {
	Kind               string `json:"kind"`                // e.g. "REST API on a unix socket", "CLI (OCI runtime)", "QMP (JSON over a socket)"
	Programmatic       bool   `json:"programmatic"`        // an API, not only a command line
	MachineErrors      bool   `json:"machine_errors"`      // errors as structured data
	DiscoverableSchema bool   `json:"discoverable_schema"` // the API describes itself
	ToolNative         bool   `json:"tool_native"`         // MCP or tool-call native
}

// RunEnv is what a driver learns about the run it takes part in.
type RunEnv struct {
	RunID string // unique per run; every sandbox ID starts with "ae-"+RunID
	Probe string // host path of the static probe binary
	Dir   string // scratch directory for the run, removed by the harness
	// Image is the image the run's workloads use, when they are measured;
	// a driver that imports images does so in Prepare.
	Image Image
}
