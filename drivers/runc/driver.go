package runc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/agentic-eval/agentic-eval/criu"
	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/internal/sandboxio"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/memstat"
	"github.com/agentic-eval/agentic-eval/oci"
	"github.com/agentic-eval/agentic-eval/vms"
)

const (
	// DefaultRoot is runc's state root for the project's containers.
	DefaultRoot = "/run/agentic-eval/runc"
	// CgroupParent is the cgroup under which every sandbox gets its own
	// cgroup, named by its ID, in every hierarchy.
	CgroupParent = "/agentic-eval"
	// cleanupTimeout bounds the clean-up after a failed Start, which runs
	// even when Start's context is already cancelled.
	cleanupTimeout = 30 * time.Second
)

// Driver runs the probe with runc on an OCI bundle.
//
// Between Prepare and Close, every sandbox's bundle is a config.json that
// points at one read-only rootfs written by Prepare, so that Start creates
// only the bundle directory, its config.json and runc's log: on this host's
// disk each created file costs about 0.25 ms, and a whole bundle (ten of
// them) took about 7 ms of a 30 ms start. Without Prepare, Start writes a
// whole bundle per sandbox.
type Driver struct {
	// Binary is the runc executable; "" looks up "runc" on PATH.
	Binary string
	// Root is runc's state root; "" is DefaultRoot.
	Root string

	mu     sync.Mutex
	shared string // read-only rootfs shared by the run's bundles, "" when none
	probe  string // the probe in shared
}

// New returns a driver with the project's defaults.
func New() *Driver { return &Driver{} }

var (
	_ measure.Driver      = (*Driver)(nil)
	_ measure.Sweeper     = (*Driver)(nil)
	_ measure.Preparer    = (*Driver)(nil)
	_ measure.Snapshotter = (*Driver)(nil)
	_ measure.Execer      = (*Driver)(nil)
)

// sharedRootfsName is the shared rootfs's directory in the run's scratch
// directory.
const sharedRootfsName = "runc-rootfs"

// Prepare writes the run's shared read-only rootfs (the probe, hard-linked
// when it can be, and the mount points) under env.Dir.
func (d *Driver) Prepare(ctx context.Context, env measure.RunEnv) error {
	if env.Dir == "" || env.Probe == "" {
		return errors.New("prepare runc driver: run needs Dir and Probe")
	}
	dir := filepath.Join(env.Dir, sharedRootfsName)
	if err := oci.WriteRootfs(dir, oci.Options{ID: "ae-" + env.RunID, Probe: env.Probe, ReadonlyRootfs: true}); err != nil {
		return fmt.Errorf("prepare runc driver for run %s: %w", env.RunID, err)
	}
	d.mu.Lock()
	old := d.shared
	d.shared, d.probe = dir, env.Probe
	d.mu.Unlock()
	if old != "" && old != dir {
		os.RemoveAll(old)
	}
	return nil
}

// Close removes the shared rootfs. Sandboxes started afterwards get whole
// bundles again.
func (d *Driver) Close(ctx context.Context) error {
	d.mu.Lock()
	dir := d.shared
	d.shared, d.probe = "", ""
	d.mu.Unlock()
	if dir != "" {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("close runc driver: %w", err)
		}
	}
	removeCgroupParent()
	return nil
}

// removeCgroupParent removes the CgroupParent cgroup runc created above the
// sandboxes' own, in every hierarchy, once no sandbox is left under it: a
// run leaves no cgroup behind. While another run still holds sandboxes
// there, rmdir fails with EBUSY and the parent stays, as it should.
func removeCgroupParent() {
	dirs, err := cgroupDirs("")
	if err != nil {
		return
	}
	for _, dir := range dirs {
		_ = syscall.Rmdir(dir)
	}
}

// writeBundle writes spec's bundle: a config.json on the shared rootfs when
// Prepare made one for this probe, a whole bundle otherwise.
func (d *Driver) writeBundle(spec measure.Spec, bundle string) error {
	o := oci.Options{
		ID:             spec.ID,
		Probe:          spec.Probe,
		Args:           spec.Args,
		ReadonlyRootfs: true, // as `runc spec`; lets the probe be hard-linked and the rootfs shared
		CgroupsPath:    CgroupParent + "/" + spec.ID,
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

// System is the docker row: the reference maps runc to Docker.
func (d *Driver) System() vms.System { return vms.Docker }

// Variant is "docker/runc".
func (d *Driver) Variant() string { return "docker/runc" }

func (d *Driver) root() string {
	if d.Root != "" {
		return d.Root
	}
	return DefaultRoot
}

func (d *Driver) binary() (string, error) {
	name := d.Binary
	if name == "" {
		name = "runc"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("runc binary %q not found on PATH: %w", name, err)
	}
	return p, nil
}

// Capabilities: runc execs into a running container, and checkpoints and
// restores one (any number of times from one image) through CRIU when
// criu is installed; whether CRIU works on this kernel is what Snapshot
// finds out (Fingerprint's "snapshot" detail says what `criu check`
// expects).
func (d *Driver) Capabilities() measure.Capabilities {
	_, err := exec.LookPath("criu")
	criu := err == nil
	return measure.Capabilities{
		Snapshot:    criu,
		Restore:     criu,
		RestoreMany: criu,
		Exec:        true,
		Boundary:    "shared-kernel",
		Control: measure.ControlPlane{
			Kind: "CLI (OCI runtime)",
			// A command line, no API. With --log-format json its errors are
			// JSON lines, but each is a free-text message with no code or
			// field to act on: not machine errors.
			Programmatic:       false,
			MachineErrors:      false,
			DiscoverableSchema: false,
			ToolNative:         false,
		},
	}
}

// Fingerprint checks the runc binary and its version, root, and a cgroup
// layout that gives each sandbox a memory cgroup. It starts nothing.
func (d *Driver) Fingerprint(ctx context.Context) measure.Fingerprint {
	fp := measure.Fingerprint{Details: map[string]string{"state_root": d.root()}}
	bin, err := d.binary()
	if err != nil {
		fp.Reason = err.Error()
		fp.Fix = "install runc (apt-get install runc, or run scripts/setup.sh)"
		return fp
	}
	fp.Details["binary"] = bin
	vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(vctx, bin, "--version").Output()
	if err != nil {
		fp.Reason = fmt.Sprintf("%s --version failed: %v", bin, err)
		fp.Fix = "reinstall runc (apt-get install --reinstall runc)"
		return fp
	}
	v, err := parseVersion(string(out))
	if err != nil {
		fp.Reason = err.Error()
		fp.Fix = "install a runc that reports its version (apt-get install runc)"
		return fp
	}
	fp.Version = v.Runc
	fp.Details["oci_spec"] = v.Spec
	if v.Libseccomp != "" {
		fp.Details["libseccomp"] = v.Libseccomp
	}
	if euid := os.Geteuid(); euid != 0 {
		fp.Reason = fmt.Sprintf("not root (euid %d): runc needs root to create namespaces and cgroups (rootless runc is not driven)", euid)
		fp.Fix = "run agentic-eval as root (sudo)"
		return fp
	}
	mounts, err := host.ReadMountinfo()
	if err != nil {
		fp.Reason = err.Error()
		fp.Fix = "mount /proc"
		return fp
	}
	layout, ok := cgroupLayout(mounts)
	fp.Details["cgroups"] = layout
	if !ok {
		fp.Reason = "no memory cgroup: neither the cgroup v1 memory controller nor a cgroup2 hierarchy is mounted"
		fp.Fix = "mount cgroup2 at /sys/fs/cgroup (or the v1 memory controller at /sys/fs/cgroup/memory)"
		return fp
	}
	fp.Details["snapshot"] = snapshotNote(ctx)
	fp.Warnings = append(fp.Warnings,
		"isolation is runc's default spec: shared host kernel, no seccomp filter, 3 capabilities (Docker's default adds a seccomp filter)")
	fp.Available = true
	return fp
}

// cgroupLayout describes the host's cgroup mounts, from its mount table,
// and says whether a sandbox gets a memory cgroup.
func cgroupLayout(mounts []host.Mount) (string, bool) {
	var v1mem, v2 string
	for _, m := range host.CgroupMounts(mounts) {
		if m.FSType == "cgroup2" {
			v2 = m.Point
		} else if m.HasSuperOption("memory") {
			v1mem = m.Point
		}
	}
	switch {
	case v1mem != "" && v2 != "":
		return fmt.Sprintf("v1 (memory at %s) with cgroup2 at %s: hybrid", v1mem, v2), true
	case v1mem != "":
		return fmt.Sprintf("v1 (memory at %s)", v1mem), true
	case v2 != "":
		return fmt.Sprintf("v2 (unified at %s)", v2), true
	}
	return "none", false
}

// snapshotNote says how the driver snapshots here, with what `criu check`
// (CRIU's own probe of the kernel, no container involved) says on this
// host. runc checkpoint and restore go through CRIU; when criu is
// installed the driver attempts them even if `criu check` fails, because
// the attempt's own failure is the measured result (issue 4).
func snapshotNote(ctx context.Context) string {
	h := criu.Look(ctx)
	if h.Path == "" {
		return "not offered: runc checkpoint needs CRIU, and criu is not on PATH (apt-get install criu)"
	}
	var uts syscall.Utsname
	kernel := "unknown"
	if syscall.Uname(&uts) == nil {
		kernel = utsString(uts.Release[:])
	}
	if h.CheckErr == nil {
		return fmt.Sprintf("attempted: runc checkpoint/restore through CRIU %s (%s) on kernel %s; `criu check` passes", h.Version, h.Path, kernel)
	}
	msg := criu.CheckError(h.CheckOutput)
	if msg == "" {
		msg = h.CheckErr.Error()
	}
	why := ""
	if cause := criu.KnownCause(msg); cause != "" {
		why = " (" + cause + ")"
	}
	return fmt.Sprintf("attempted: runc checkpoint/restore through CRIU %s (%s) on kernel %s, although `criu check` fails here: %q%s; the checkpoint's own error is the result", h.Version, h.Path, kernel, msg, why)
}

func utsString(a []int8) string {
	b := make([]byte, 0, len(a))
	for _, c := range a {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// run runs runc with the driver's state root and JSON logging, and returns
// its stdout; on failure the error carries runc's own message.
func (d *Driver) run(ctx context.Context, args ...string) ([]byte, error) {
	bin, err := d.binary()
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append([]string{"--root", d.root(), "--log-format", "json"}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), runcError(args[0], stderr.Bytes(), err)
	}
	return stdout.Bytes(), nil
}

// CommandError is a failed runc command with runc's own message.
type CommandError struct {
	Command string // runc sub-command
	Message string // runc's error message(s), "" if it printed none
	Err     error  // the exec error (exit status, signal, context)
}

func (e *CommandError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("runc %s: %v", e.Command, e.Err)
	}
	return fmt.Sprintf("runc %s: %s (%v)", e.Command, e.Message, e.Err)
}

func (e *CommandError) Unwrap() error { return e.Err }

func runcError(cmd string, stderr []byte, err error) error {
	msg := errorMessage(stderr)
	if msg == "" {
		msg = strings.TrimSpace(truncate(stderr))
	}
	return &CommandError{Command: cmd, Message: msg, Err: err}
}

// notExist reports whether err is runc saying the container is unknown.
func notExist(err error) bool {
	var re *CommandError
	return errors.As(err, &re) && isNotExist(re.Message)
}

// Start writes a bundle under spec.Dir, hands the probe's pipes to
// spec.Attach and runs `runc run --detach`, whose container inherits them.
func (d *Driver) Start(ctx context.Context, spec measure.Spec) (measure.Sandbox, error) {
	sb, err := d.launch(ctx, spec, func(bundle string) []string {
		return []string{"run", "--detach", "--bundle", bundle, spec.ID}
	})
	if err != nil {
		return nil, fmt.Errorf("start runc sandbox %s: %w", spec.ID, err)
	}
	return sb, nil
}

// launch is Start and Restore: it writes spec's bundle, makes the probe's
// pipes, hands them to spec.Attach, then runs the runc command that
// command returns for the bundle (run or restore, both --detach), whose
// container inherits the pipes. On error it removes whatever it made.
func (d *Driver) launch(ctx context.Context, spec measure.Spec, command func(bundle string) []string) (_ *sandbox, err error) {
	if spec.ID == "" || spec.Dir == "" || spec.Probe == "" || spec.Attach == nil {
		return nil, errors.New("spec needs ID, Dir, Probe and Attach")
	}
	bin, err := d.binary()
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(spec.Dir)
	if err != nil {
		return nil, err
	}
	sb := &sandbox{d: d, id: spec.ID, bundle: filepath.Join(dir, "bundle")}
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
	args := command(sb.bundle)
	// runc's own stderr, shared with the container's stderr.
	logf, err := os.OpenFile(filepath.Join(dir, "runc.log"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	pipes, err := sandboxio.NewPipes()
	if err != nil {
		return nil, err
	}
	sb.parentEnds = []*os.File{pipes.Out, pipes.In}
	spec.Attach(pipes.Out, pipes.In)

	cmd := exec.CommandContext(ctx, bin, append([]string{"--root", d.root(), "--log-format", "json"}, args...)...)
	cmd.Dir = sb.bundle
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pipes.Stdin, pipes.Stdout, logf
	runErr := cmd.Run()
	// The container holds its own copies of the child ends now.
	pipes.CloseChildEnds()
	if runErr != nil {
		stderr, _ := os.ReadFile(logf.Name())
		return nil, runcError(args[0], stderr, runErr)
	}
	return sb, nil
}

// sandbox is one runc container.
type sandbox struct {
	d          *Driver
	id         string
	bundle     string
	parentEnds []*os.File // the probe's stdout reader and stdin writer given to Attach
}

func (s *sandbox) ID() string { return s.id }

// list asks runc for the containers under its root.
func (d *Driver) list(ctx context.Context) ([]oci.State, error) {
	out, err := d.run(ctx, "list", "--format", "json")
	if err != nil {
		return nil, err
	}
	return oci.ParseList("runc", out)
}

// state asks runc for the container's state.
func (s *sandbox) state(ctx context.Context) (oci.State, error) {
	out, err := s.d.run(ctx, "state", s.id)
	if err != nil {
		return oci.State{}, err
	}
	return oci.ParseState("runc", out)
}

// initPid is the container's init process on the host.
func (s *sandbox) initPid(ctx context.Context) (int, error) {
	st, err := s.state(ctx)
	if err != nil {
		return 0, err
	}
	if st.Pid <= 0 || st.Status == "stopped" {
		return 0, fmt.Errorf("container is %s", st.Status)
	}
	return st.Pid, nil
}

// HostPIDs are the container's init (the probe) and its descendants: runc
// leaves no shim behind after `run --detach`.
func (s *sandbox) HostPIDs(ctx context.Context) ([]int, error) {
	pid, err := s.initPid(ctx)
	if err != nil {
		return nil, fmt.Errorf("host pids of runc sandbox %s: %w", s.id, err)
	}
	ppid, err := procParents()
	if err != nil {
		return nil, fmt.Errorf("host pids of runc sandbox %s: %w", s.id, err)
	}
	return descendants(pid, ppid), nil
}

// procParents maps every host pid to its parent pid.
func procParents() (map[int]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	m := make(map[int]int, len(ents))
	for _, e := range ents {
		pid := atoi(e.Name())
		if pid <= 0 {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		if pp, err := parsePPid(string(b)); err == nil {
			m[pid] = pp
		}
	}
	return m, nil
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// MemoryCgroup is the memory cgroup of the container's init, on the host,
// or "" when the init is in the root memory cgroup.
func (s *sandbox) MemoryCgroup(ctx context.Context) (string, error) {
	pid, err := s.initPid(ctx)
	if err != nil {
		return "", fmt.Errorf("memory cgroup of runc sandbox %s: %w", s.id, err)
	}
	dir, err := memstat.FindMemoryCgroup(pid)
	if errors.Is(err, memstat.ErrRootCgroup) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("memory cgroup of runc sandbox %s: %w", s.id, err)
	}
	return dir, nil
}

// Destroy kills and deletes the container, then removes what a runc killed
// half-way may have left (its state directory, processes and cgroups), the
// bundle and the pipes. It is idempotent.
func (s *sandbox) Destroy(ctx context.Context) error {
	err := s.d.remove(ctx, s.id, s.bundle)
	if rerr := os.RemoveAll(s.bundle); rerr != nil {
		err = errors.Join(err, rerr)
	}
	for _, f := range s.parentEnds {
		f.Close()
	}
	if err != nil {
		return fmt.Errorf("destroy runc sandbox %s: %w", s.id, err)
	}
	return nil
}

// remove makes sure container id is gone: runc kill and delete, then its
// leftover processes (in its cgroups, or still in its bundle when runc was
// killed before it made them), its cgroups and its state directory.
func (d *Driver) remove(ctx context.Context, id, bundle string) error {
	var errs []error
	// kill fails when the container is already stopped or unknown: delete
	// --force decides.
	d.run(ctx, "kill", id, "KILL")
	if _, err := d.run(ctx, "delete", "--force", id); err != nil && !notExist(err) {
		errs = append(errs, err)
	}
	if filepath.IsAbs(bundle) && filepath.Clean(bundle) != "/" {
		killBundleProcs(filepath.Clean(bundle))
	}
	if err := removeCgroups(ctx, id); err != nil {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(filepath.Join(d.root(), id)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// killBundleProcs kills processes whose working directory lies in bundle:
// a `runc run` of it, or a `runc init` that runc left behind before it
// entered a cgroup (runc starts it in the rootfs, which is in the bundle
// unless shared; such an init also dies on its own when its runc does, at
// the end of its init pipe).
func killBundleProcs(bundle string) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range ents {
		pid := atoi(e.Name())
		if pid <= 0 || pid == os.Getpid() {
			continue
		}
		p, err := os.Readlink("/proc/" + e.Name() + "/cwd")
		if err == nil && (p == bundle || strings.HasPrefix(p, bundle+"/")) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// cgroupDirs lists the directories of cgroup id (under CgroupParent) in
// every mounted hierarchy, existing or not.
func cgroupDirs(id string) ([]string, error) {
	mounts, err := host.ReadMountinfo()
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, m := range host.CgroupMounts(mounts) {
		if dir, ok := m.CgroupDir(CgroupParent + "/" + id); ok {
			dirs = append(dirs, dir)
		}
	}
	return dirs, nil
}

// removeCgroups kills whatever still runs in cgroup id and removes its
// directories, waiting (bounded by ctx) for the kernel to empty them.
func removeCgroups(ctx context.Context, id string) error {
	dirs, err := cgroupDirs(id)
	if err != nil {
		return fmt.Errorf("cgroups of %s: %w", id, err)
	}
	var errs []error
	for _, dir := range dirs {
		if err := removeCgroup(ctx, dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func removeCgroup(ctx context.Context, dir string) error {
	for {
		procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		if os.IsNotExist(err) {
			return nil
		}
		for _, f := range strings.Fields(string(procs)) {
			if pid := atoi(f); pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		err = os.Remove(dir)
		if err == nil || os.IsNotExist(err) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("remove cgroup %s: %w (%w)", dir, err, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Leftovers lists what runs whose IDs start with prefix left behind: runc
// containers, state directories runc did not finish, and cgroups.
func (d *Driver) Leftovers(ctx context.Context, prefix string) ([]string, error) {
	ids, err := d.leftoverIDs(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range ids {
		out = append(out, l.what)
	}
	return out, nil
}

type leftover struct{ id, bundle, what string }

func (d *Driver) leftoverIDs(ctx context.Context, prefix string) ([]leftover, error) {
	if prefix == "" {
		return nil, errors.New("runc leftovers: empty prefix would match every container")
	}
	var out []leftover
	seen := map[string]bool{}
	if _, err := d.binary(); err == nil {
		l, err := d.list(ctx)
		if err != nil {
			return nil, fmt.Errorf("runc leftovers: %w", err)
		}
		for _, s := range l {
			if strings.HasPrefix(s.ID, prefix) {
				seen[s.ID] = true
				out = append(out, leftover{s.ID, s.Bundle, fmt.Sprintf("runc container %s (%s)", s.ID, s.Status)})
			}
		}
	}
	ents, _ := os.ReadDir(d.root())
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) && !seen[e.Name()] {
			seen[e.Name()] = true
			out = append(out, leftover{e.Name(), "", "runc state directory " + filepath.Join(d.root(), e.Name())})
		}
	}
	dirs, err := cgroupDirs("")
	if err != nil {
		return nil, fmt.Errorf("runc leftovers: %w", err)
	}
	for _, parent := range dirs {
		ents, _ := os.ReadDir(parent)
		for _, e := range ents {
			if e.IsDir() && strings.HasPrefix(e.Name(), prefix) {
				out = append(out, leftover{e.Name(), "", "cgroup " + filepath.Join(parent, e.Name())})
			}
		}
	}
	return out, nil
}

// Sweep removes what Leftovers lists.
func (d *Driver) Sweep(ctx context.Context, prefix string) error {
	ls, err := d.leftoverIDs(ctx, prefix)
	if err != nil {
		return err
	}
	var errs []error
	done := map[string]bool{}
	for _, l := range ls {
		if done[l.id] {
			continue
		}
		done[l.id] = true
		// The bundle itself lives in the harness's scratch directory,
		// which the harness removes.
		if err := d.remove(ctx, l.id, l.bundle); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sweep runc %s*: %w", prefix, err)
	}
	return nil
}
