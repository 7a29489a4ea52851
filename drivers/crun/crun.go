package crun

import (
	"context"
	"strings"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/drivers/ociruntime"
	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/oci"
	"github.com/agentic-eval/agentic-eval/vms"
)

// DefaultRoot is crun's state root for the project's containers.
const DefaultRoot = "/run/agentic-eval/crun"

// Config is the docker/crun variant's configuration.
func Config() ociruntime.Config {
	return ociruntime.Config{
		System:     vms.Docker,
		Variant:    "docker/crun",
		Name:       "crun",
		Find:       ociruntime.OnPath("crun"),
		Fix:        "install crun (apt-get install crun, or run scripts/setup.sh)",
		Root:       DefaultRoot,
		Wrapper:    wrapper,
		Boundary:   vms.BoundarySharedKernel,
		Checkpoint: ociruntime.CRIU,
		Control:    driver.ControlPlane{Kind: "CLI (OCI runtime)"},
		Warnings: []string{
			"isolation is the project's bundle (runc's default spec): shared host kernel, no seccomp filter, 3 capabilities",
		},
		Fingerprint: fingerprint,
	}
}

// New returns the docker/crun driver.
func New() *ociruntime.Driver { return ociruntime.New(Config()) }

// wrapper is the private mount namespace without the cgroup2 mount, on a
// hybrid host; nil elsewhere.
func wrapper() []string {
	mounts, err := host.ReadMountinfo()
	if err != nil {
		return nil
	}
	return Wrapper(host.CgroupModeOf(mounts))
}

// Wrapper is the command line every crun command runs in under cgroup
// layout c: on a hybrid host, a private mount namespace where the cgroup2
// mount is unmounted before crun starts (its own argv follows, as $0 and
// $@); nil on any other layout.
func Wrapper(c host.Cgroups) []string {
	if c.Mode != host.CgroupHybrid || c.V2Mount == "" {
		return nil
	}
	return []string{"unshare", "--mount", "--propagation", "private",
		"sh", "-c", "umount " + shellQuote(c.V2Mount) + ` && exec "$0" "$@"`}
}

// shellQuote quotes s for sh as one word.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// fingerprint records the hybrid-host quirk and whether this build has
// CRIU support (crun prints +CRIU among its features when it does).
func fingerprint(ctx context.Context, rt *oci.Runtime, fp *driver.Fingerprint) {
	if len(rt.Wrapper) > 0 {
		fp.Details["cgroup_quirk"] = "hybrid cgroup host: crun runs in a private mount namespace without the cgroup2 mount"
	}
	out, err := rt.Command(ctx, "--version").Output()
	if err == nil && !strings.Contains(string(out), "+CRIU") {
		fp.Details["snapshot"] = "attempted: this crun build lists no +CRIU feature (" + strings.TrimSpace(lastLine(string(out))) + "), so its checkpoint fails; that failure is the result"
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
