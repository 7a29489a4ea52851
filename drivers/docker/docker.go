package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/docker/docker/client"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Variant is this driver's variant of vms.Docker.
const Variant = "docker"

// RunLabel is the label every container and image of a run carries; its
// value is the run id.
const RunLabel = "agentic-eval.run"

// SandboxLabel names the sandbox (Spec.ID) a container belongs to.
const SandboxLabel = "agentic-eval.sandbox"

const (
	// pingTimeout bounds each daemon query of Fingerprint.
	pingTimeout = 5 * time.Second
	// cleanupTimeout bounds removals made after the caller's context has
	// ended (a failed or cancelled Start), and requests that must not be
	// abandoned half-way (container create).
	cleanupTimeout = 30 * time.Second
)

// fixUnreachable is what makes an unreachable daemon reachable.
const fixUnreachable = "run scripts/start-dockerd.sh, or set DOCKER_HOST"

// Driver drives the Docker Engine through its REST API. Its zero value is
// not usable: call New.
type Driver struct {
	host       string // daemon address, e.g. unix:///run/agentic-eval/dockerd.sock
	hostSource string // where host came from: DOCKER_HOST, private or system

	mu      sync.Mutex
	cli     *client.Client
	runID   string // the prepared run, "" when none
	image   string // the run's probe image reference, "" until imported
	imageID string
	// sandboxImage is the run's sandbox image (the cached one), "" when
	// the run measures no workloads.
	sandboxImage string
	// cacheLock is the run's shared hold on cacheLockPath (nil: none),
	// from Prepare to Close: a stale cached image is removed only when no
	// other run on this host holds it.
	cacheLock *os.File

	// pending counts background removals of containers whose create
	// request was still in flight when Start's context ended.
	pending sync.WaitGroup
}

var (
	_ driver.Driver      = (*Driver)(nil)
	_ driver.Preparer    = (*Driver)(nil)
	_ driver.Reaper      = (*Driver)(nil)
	_ driver.InFlighter  = (*Driver)(nil)
	_ driver.Restorer    = (*Driver)(nil)
	_ driver.Snapshotter = (*sandbox)(nil)
	_ driver.Execer      = (*sandbox)(nil)
	_ driver.Copier      = (*sandbox)(nil)
)

// New returns a driver for the daemon at $DOCKER_HOST, else the project's
// private socket, else the system socket.
func New() *Driver {
	host, source := resolveHost(os.Getenv, pathExists)
	return &Driver{host: host, hostSource: source}
}

// NewWithHost returns a driver for the daemon at host (e.g.
// "unix:///var/run/docker.sock").
func NewWithHost(host string) *Driver {
	return &Driver{host: host, hostSource: "explicit"}
}

// Host is the daemon address the driver uses.
func (d *Driver) Host() string { return d.host }

// System is the catalog row: Docker.
func (d *Driver) System() vms.System { return vms.Docker }

// Variant is "docker": the Engine, as opposed to runc driven directly.
func (d *Driver) Variant() string { return Variant }

// Capabilities are the Engine's, as driven here. Snapshots (POST
// /containers/{id}/checkpoints, then a start from the checkpoint) are
// offered when the daemon runs in experimental mode and criu is on PATH:
// what Fingerprint found, or, before any Fingerprint, what a ping of the
// daemon says (false when it does not answer).
func (d *Driver) Capabilities() driver.Capabilities {
	return driver.Capabilities{
		// The Engine's checkpoint API, through CRIU: whether the daemon
		// offers it here (experimental mode, criu installed) and whether
		// CRIU works on this kernel is what the attempt finds out.
		Snapshot:    true,
		Restore:     true,
		RestoreMany: true,
		Exec:        true, // POST /containers/{id}/exec
		Image:       true, // the sandbox image, imported from its tar
		Boundary:    vms.BoundarySharedKernel,
		Control: driver.ControlPlane{
			Kind:               "Docker Engine REST API (unix socket)",
			Programmatic:       true,
			MachineErrors:      true, // JSON error bodies with HTTP status codes
			DiscoverableSchema: true, // the Engine API publishes its OpenAPI (swagger) spec
			ToolNative:         false,
		},
	}
}

// client returns the driver's API client, creating it on first use. Its
// connections go through daemonDialer, and what it returns must go
// through daemonError before it leaves the driver. The client negotiates the API version with the daemon (Debian's 20.10 speaks
// 1.41, older than this client's default).
func (d *Driver) client() (*client.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cli != nil {
		return d.cli, nil
	}
	dial, err := daemonDialer(d.host)
	if err != nil {
		return nil, fmt.Errorf("docker client for %s: %w", d.host, err)
	}
	// Every connection goes through dial, which types its failure.
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithHost(d.host), client.WithDialContext(dial), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client for %s: %w", d.host, err)
	}
	d.cli = cli
	return cli, nil
}

// Fingerprint says whether the daemon answers, and what it is. It starts
// nothing.
func (d *Driver) Fingerprint(ctx context.Context) driver.Fingerprint {
	fp := driver.Fingerprint{
		Details: map[string]string{"host": d.host, "host_source": d.hostSource},
	}
	criu := hostCRIU(ctx)
	if criu.Path != "" {
		fp.Details["criu"] = criu.Path
		fp.Details["criu_version"] = criu.Version
	}
	if criu.CheckError != "" {
		fp.Details["criu_check"] = criu.CheckError
	}
	fp.Details["snapshot"] = "not offered: dockerd does not answer, so whether it is in experimental mode (which docker checkpoint needs) is unknown"
	unavailable := func(reason, fix string) driver.Fingerprint {
		fp.Available, fp.Reason, fp.Fix = false, reason, fix
		return fp
	}

	// A unix socket is dialled first: the client reduces every connection
	// failure to "Cannot connect to the Docker daemon", and the reason must
	// say which (no socket, refused, permission denied).
	if p := socketPath(d.host); p != "" {
		if err := dialUnix(ctx, p); err != nil {
			return unavailable(fmt.Sprintf("dockerd not reachable at %s: %s", d.host, causeText(err)), fixFor(err))
		}
	}
	cli, err := d.client()
	if err != nil {
		return unavailable(err.Error(), "set DOCKER_HOST to a valid daemon address")
	}

	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	ping, err := cli.Ping(pctx)
	if err != nil {
		return unavailable(fmt.Sprintf("dockerd not reachable at %s: %s", d.host, causeText(err)), fixFor(err))
	}
	fp.Details["api_version"] = ping.APIVersion
	fp.Details["api_version_used"] = cli.ClientVersion()
	fp.Details["experimental"] = fmt.Sprint(ping.Experimental)
	snapOK, snapNote := snapshotSituation(ping.Experimental, d.hostSource, criu)
	fp.Details["snapshot"] = snapNote
	switch {
	case !ping.Experimental:
		fp.Warnings = append(fp.Warnings, snapNote)
	case snapOK && criu.CheckError != "":
		fp.Warnings = append(fp.Warnings, fmt.Sprintf("snapshots go through CRIU %s, whose `criu check` fails on this kernel (%s): the checkpoint is attempted and its failure recorded", criu.Version, criu.CheckError))
	}

	v, err := cli.ServerVersion(pctx)
	if err != nil {
		return unavailable(fmt.Sprintf("dockerd at %s: version: %s", d.host, causeText(err)), fixFor(err))
	}
	fp.Version = v.Version
	fp.Details["server_version"] = v.Version
	fp.Details["min_api_version"] = v.MinAPIVersion
	fp.Details["go_version"] = v.GoVersion

	info, err := cli.Info(pctx)
	if err != nil {
		return unavailable(fmt.Sprintf("dockerd at %s: info: %s", d.host, causeText(err)), fixFor(err))
	}
	fp.Details["storage_driver"] = info.Driver
	fp.Details["cgroup_driver"] = info.CgroupDriver
	fp.Details["cgroup_version"] = info.CgroupVersion
	fp.Details["default_runtime"] = info.DefaultRuntime
	fp.Details["kernel"] = info.KernelVersion
	fp.Details["os_type"] = info.OSType
	fp.Details["operating_system"] = info.OperatingSystem
	if len(info.SecurityOptions) > 0 {
		fp.Details["security_options"] = strings.Join(info.SecurityOptions, " ")
	}
	if info.OSType != "linux" {
		return unavailable(fmt.Sprintf("dockerd at %s runs %q containers, not linux", d.host, info.OSType),
			"point DOCKER_HOST at a Linux dockerd")
	}
	if socketPath(d.host) == "" {
		fp.Warnings = append(fp.Warnings, fmt.Sprintf("daemon at %s is not a local unix socket: host processes and cgroups are read from this host's /proc and may not be the daemon's", d.host))
	}
	if os.Geteuid() != 0 {
		fp.Warnings = append(fp.Warnings, "not root: the memory of the containers' root-owned host processes cannot be read")
	}
	fp.Available = true
	return fp
}

// dialUnix connects to a unix socket and hangs up.
func dialUnix(ctx context.Context, path string) error {
	dctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	var dialer net.Dialer
	c, err := dialer.DialContext(dctx, "unix", path)
	if err != nil {
		return err
	}
	return c.Close()
}

// causeText is the innermost, most telling part of a connection error:
// "connection refused" rather than "dial unix /x: connect: connection
// refused".
func causeText(err error) string {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		return errno.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %s", pingTimeout)
	}
	return err.Error()
}

// fixFor names the fix for a connection error.
func fixFor(err error) string {
	if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
		return "run as root (or as a member of the docker group), or set DOCKER_HOST to a daemon you may use"
	}
	return fixUnreachable
}
