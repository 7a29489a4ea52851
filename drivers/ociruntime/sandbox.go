package ociruntime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/internal/sandboxio"
	"github.com/agentic-eval/agentic-eval/memstat"
	"github.com/agentic-eval/agentic-eval/oci"
)

// Start writes the sandbox's bundle under spec.Dir, hands the probe's
// pipes to spec.Attach and runs `run --detach`, whose container inherits
// them.
func (d *Driver) Start(ctx context.Context, spec driver.Spec) (driver.Sandbox, error) {
	sb, err := d.launch(ctx, spec, "run", func(bundle string) []string { return oci.RunArgs(spec.ID, bundle) })
	if err != nil {
		return nil, fmt.Errorf("start %s sandbox %s: %w", d.cfg.Variant, spec.ID, err)
	}
	return sb, nil
}

// cgroupOf is a sandbox's cgroup path.
func cgroupOf(id string) string { return CgroupParent + "/" + id }

// writeBundle writes spec's bundle: a config.json on the shared rootfs when
// Prepare made one for this probe, a whole bundle otherwise.
func (d *Driver) writeBundle(spec driver.Spec, bundle string) error {
	o := oci.Options{
		ID:             spec.ID,
		Probe:          spec.Probe,
		Args:           spec.Args,
		ReadonlyRootfs: true, // as `runc spec`; lets the probe be hard-linked and the rootfs shared
		CgroupsPath:    cgroupOf(spec.ID),
	}
	if !spec.Image.IsZero() {
		// The image's tree, shared read-only by every sandbox on it, with
		// the probe bind-mounted in.
		probe, err := filepath.Abs(spec.Probe)
		if err != nil {
			return err
		}
		if _, err := os.Stat(probe); err != nil {
			return fmt.Errorf("probe: %w", err)
		}
		o.Probe, o.OnImage = probe, true
		if err := os.Mkdir(bundle, 0o755); err != nil {
			return err
		}
		_, err = oci.WriteConfig(bundle, spec.Image.Rootfs, o)
		return err
	}
	d.mu.Lock()
	shared := ""
	if d.shared != "" && d.probe == spec.Probe {
		shared = d.shared
	}
	d.mu.Unlock()
	if shared == "" {
		_, err := oci.WriteBundle(bundle, o)
		return err
	}
	if err := os.Mkdir(bundle, 0o755); err != nil {
		return err
	}
	_, err := oci.WriteConfig(bundle, shared, o)
	return err
}

// launch is Start and Restore: it writes spec's bundle, makes the probe's
// pipes, hands them to spec.Attach, then runs the detaching command that
// args returns for the bundle. The runtime's stderr goes to a file in the
// sandbox's directory: a pipe there would keep the command waiting on the
// detached sandbox that inherits it. On error it removes whatever it made.
func (d *Driver) launch(ctx context.Context, spec driver.Spec, what string, args func(bundle string) []string) (_ *sandbox, err error) {
	if spec.ID == "" || spec.Dir == "" || spec.Probe == "" || spec.Attach == nil {
		return nil, errors.New("spec needs ID, Dir, Probe and Attach")
	}
	rt, err := d.Runtime()
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(spec.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(d.cfg.Root, 0o711); err != nil {
		return nil, fmt.Errorf("state root: %w", err)
	}
	// A container of that ID exists (its state is under the root): refuse
	// before anything is made, so that the clean-up of a failed launch
	// cannot remove the live one.
	if held := d.rootEntries(spec.ID); len(held) > 0 {
		return nil, fmt.Errorf("a %s container named %s exists already (%s)", d.cfg.Name, spec.ID, held[0])
	}
	sb := &sandbox{d: d, rt: rt, id: spec.ID, dir: dir, bundle: filepath.Join(dir, "bundle")}
	defer func() {
		if err != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			if derr := sb.Destroy(cctx); derr != nil {
				err = errors.Join(err, derr)
			}
		}
	}()
	if err := d.writeBundle(spec, sb.bundle); err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(filepath.Join(dir, d.cfg.Name+"-"+what+".log"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	pipes, err := sandboxio.NewPipes()
	if err != nil {
		return nil, err
	}
	sb.ends = []*os.File{pipes.Out, pipes.In}
	spec.Attach(pipes.Out, pipes.In)
	if spec.Asking != nil {
		spec.Asking()
	}
	runErr := rt.Launch(ctx, sb.bundle, oci.Stdio{Stdin: pipes.Stdin, Stdout: pipes.Stdout, Stderr: logf}, args(sb.bundle)...)
	// The container holds its own copies of the child ends now.
	pipes.CloseChildEnds()
	if runErr != nil {
		return nil, runErr
	}
	return sb, nil
}

// sandbox is one container of an OCI runtime.
type sandbox struct {
	d      *Driver
	rt     *oci.Runtime
	id     string
	dir    string // spec.Dir, absolute
	bundle string // dir/bundle

	mu   sync.Mutex
	ends []*os.File // the harness's pipe ends, closed by Destroy
}

var (
	_ driver.Sandbox     = (*sandbox)(nil)
	_ driver.Execer      = (*sandbox)(nil)
	_ driver.Snapshotter = (*sandbox)(nil)
)

func (s *sandbox) ID() string { return s.id }

// initPid is the container's init on the host, from the runtime's state.
func (s *sandbox) initPid(ctx context.Context) (int, error) {
	st, err := s.rt.State(ctx, s.id)
	if err != nil {
		return 0, err
	}
	if st.Pid <= 0 || st.Status == "stopped" {
		return 0, fmt.Errorf("container is %s", st.Status)
	}
	return st.Pid, nil
}

// HostPIDs are the container's init (the probe for runc and crun, the
// sandbox kernel for runsc), every process whose command line names the
// sandbox (runsc's gofer names its bundle), and their descendants.
func (s *sandbox) HostPIDs(ctx context.Context) ([]int, error) {
	pid, err := s.initPid(ctx)
	if err != nil {
		return nil, fmt.Errorf("host pids of %s sandbox %s: %w", s.d.cfg.Variant, s.id, err)
	}
	ps, err := host.ScanProcesses()
	if err != nil {
		return nil, fmt.Errorf("host pids of %s sandbox %s: %w", s.d.cfg.Variant, s.id, err)
	}
	roots := append([]int{pid}, ps.Match(s.names)...)
	return ps.Descendants(roots...), nil
}

// names reports whether p's command line names this sandbox: its ID as an
// argument, or a path through its directory.
func (s *sandbox) names(p host.Process) bool {
	return p.PID != os.Getpid() && host.ArgNames(p.Args, s.id, false)
}

// MemoryCgroup is the memory cgroup of the container's init, or "" when it
// is the root memory cgroup.
func (s *sandbox) MemoryCgroup(ctx context.Context) (string, error) {
	pid, err := s.initPid(ctx)
	if err != nil {
		return "", fmt.Errorf("memory cgroup of %s sandbox %s: %w", s.d.cfg.Variant, s.id, err)
	}
	dir, err := memstat.FindMemoryCgroup(pid)
	if errors.Is(err, memstat.ErrRootCgroup) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("memory cgroup of %s sandbox %s: %w", s.d.cfg.Variant, s.id, err)
	}
	return dir, nil
}

// Destroy kills and deletes the container, then whatever a runtime killed
// half-way may have left: its processes, cgroups, state directory and
// files under the root; then the bundle and the pipes. Outside a prepared
// run it also releases the root once no container is left. Idempotent.
func (s *sandbox) Destroy(ctx context.Context) error {
	err := s.d.remove(ctx, s.rt, s.id)
	if rerr := os.RemoveAll(s.bundle); rerr != nil {
		err = errors.Join(err, rerr)
	}
	s.mu.Lock()
	for _, f := range s.ends {
		f.Close()
	}
	s.ends = nil
	s.mu.Unlock()
	s.d.mu.Lock()
	prepared := s.d.prepared
	s.d.mu.Unlock()
	if !prepared && err == nil {
		err = s.d.release(ctx)
	}
	if err != nil {
		return fmt.Errorf("destroy %s sandbox %s: %w", s.d.cfg.Variant, s.id, err)
	}
	return nil
}

// remove makes sure container id is gone: kill and delete through the
// runtime, then, again and again for up to two seconds, its processes
// (found by its name on their command lines), its cgroups, its state
// directory and its files under the root, until a pass finds none.
func (d *Driver) remove(ctx context.Context, rt *oci.Runtime, id string) error {
	var errs []error
	// kill fails when the container is already stopped or unknown: delete
	// --force decides.
	_ = rt.Kill(ctx, id, "KILL")
	if err := rt.Delete(ctx, id); err != nil {
		errs = append(errs, err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		kctx, cancel := context.WithTimeout(ctx, time.Second)
		killErr := host.KillMatching(kctx, func(p host.Process) bool { return host.ArgNames(p.Args, id, false) })
		cancel()
		cgErr := errors.Join(host.RemoveCgroupPath(ctx, cgroupOf(id)), host.RemoveCgroupPath(ctx, "/"+id))
		fileErr := d.removeRootEntries(id)
		if killErr == nil && cgErr == nil && fileErr == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			errs = append(errs, killErr, cgErr, fileErr)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.Join(errs...)
}

// rootEntries lists the entries of the root that belong to ids with the
// given prefix: state directories, and runsc's lock and control socket
// files (<id>_sandbox:<id>.lock, runsc-<id>.sock). IDs never prefix each
// other, so a name that contains the ID belongs to it.
func (d *Driver) rootEntries(prefix string) []string {
	ents, _ := os.ReadDir(d.cfg.Root)
	var out []string
	for _, e := range ents {
		if strings.Contains(e.Name(), prefix) {
			out = append(out, filepath.Join(d.cfg.Root, e.Name()))
		}
	}
	return out
}

func (d *Driver) removeRootEntries(prefix string) error {
	var errs []error
	for _, p := range d.rootEntries(prefix) {
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
