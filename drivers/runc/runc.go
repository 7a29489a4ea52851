package runc

import (
	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/drivers/ociruntime"
	"github.com/agentic-eval/agentic-eval/vms"
)

// DefaultRoot is runc's state root for the project's containers.
const DefaultRoot = "/run/agentic-eval/runc"

// Config is the docker/runc variant's configuration: Debian's runc on
// PATH, JSON error logs, checkpoints through CRIU.
func Config() ociruntime.Config {
	return ociruntime.Config{
		System:  vms.Docker, // the reference maps runc to Docker
		Variant: "docker/runc",
		Name:    "runc",
		Find:    ociruntime.OnPath("runc"),
		Fix:     "install runc (apt-get install runc, or run scripts/setup.sh)",
		Root:    DefaultRoot,
		// With --log-format json runc's errors are JSON lines whose msg is
		// the message; oci.Message reads them.
		Flags:      []string{"--log-format", "json"},
		Boundary:   vms.BoundarySharedKernel,
		Checkpoint: ociruntime.CRIU,
		Control: driver.ControlPlane{
			Kind: "CLI (OCI runtime)",
			// A command line, no API. Its JSON log lines are free text with
			// no code or field to act on: not machine errors.
		},
		Warnings: []string{
			"isolation is runc's default spec: shared host kernel, no seccomp filter, 3 capabilities (Docker's default adds a seccomp filter)",
		},
	}
}

// New returns the docker/runc driver.
func New() *ociruntime.Driver { return ociruntime.New(Config()) }
