package gvisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/internal/sandboxio"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/memstat"
	"github.com/agentic-eval/agentic-eval/oci"
)

// Start writes a bundle under spec.Dir, hands the harness the probe's pipes
// and runs `runsc run --detach`.
func (d *Driver) Start(ctx context.Context, spec measure.Spec) (measure.Sandbox, error) {
	sb, err := d.launch(ctx, spec, "start", func(bundle string) []string {
		return []string{"run", "--detach", "--bundle", bundle, spec.ID}
	})
	if err != nil {
		return nil, fmt.Errorf("start gvisor sandbox %s: %w", spec.ID, err)
	}
	return sb, nil
}

// launch is Start and Restore: a fresh bundle, fresh pipes, spec.Attach,
// then the runsc command that detaches once the sandbox runs. On error it
// destroys whatever it made.
func (d *Driver) launch(ctx context.Context, spec measure.Spec, what string, command func(bundle string) []string) (_ *sandbox, err error) {
	if spec.ID == "" || spec.Dir == "" || spec.Attach == nil {
		return nil, errors.New("spec needs ID, Dir and Attach")
	}
	bin, looked, err := d.binary()
	if err != nil {
		return nil, fmt.Errorf("%w: looked at %s", err, strings.Join(looked, ", "))
	}
	dir, err := filepath.Abs(spec.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(d.Root, 0o700); err != nil {
		return nil, fmt.Errorf("runsc root: %w", err)
	}
	sb := &sandbox{d: d, id: spec.ID, dir: dir, bundle: filepath.Join(dir, "bundle")}
	defer func() {
		if err != nil {
			// Bounded by its own context: ctx may be what expired.
			dctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
			defer cancel()
			if derr := sb.Destroy(dctx); derr != nil {
				err = fmt.Errorf("%w (and cleanup: %v)", err, derr)
			}
		}
	}()
	if _, err := oci.WriteBundle(sb.bundle, oci.Options{ID: spec.ID, Probe: spec.Probe, Args: spec.Args}); err != nil {
		return sb, err
	}
	// Pipes, not files: the harness reads the ready line as it is written.
	pipes, err := sandboxio.NewPipes()
	if err != nil {
		return sb, err
	}
	sb.stdin, sb.stdout = pipes.In, pipes.Out
	// runsc's own errors, and the probe's stderr, go to a log file in the
	// sandbox's directory: a pipe there would keep cmd.Wait waiting on the
	// detached sandbox that inherits it.
	logPath := filepath.Join(dir, "runsc-"+what+".log")
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		pipes.CloseChildEnds()
		return sb, fmt.Errorf("runsc log: %w", err)
	}
	spec.Attach(pipes.Out, pipes.In)
	cmd := exec.CommandContext(ctx, bin, append(d.globalFlags(), command(sb.bundle)...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pipes.Stdin, pipes.Stdout, logf
	cmd.Dir = sb.bundle
	runErr := cmd.Run()
	pipes.CloseChildEnds()
	logf.Close()
	if runErr != nil {
		msg, _ := os.ReadFile(logPath)
		return sb, fmt.Errorf("runsc %s: %w: %s", strings.Join(command(sb.bundle), " "), runErr, strings.TrimSpace(truncateTail(msg)))
	}
	return sb, nil
}

func truncateTail(b []byte) string {
	const n = 1000
	if len(b) > n {
		return "..." + string(b[len(b)-n:])
	}
	return string(b)
}

// sandbox is one runsc container (one sandbox, one container).
type sandbox struct {
	d      *Driver
	id     string
	dir    string // spec.Dir, absolute
	bundle string // dir/bundle

	mu     sync.Mutex
	stdin  *os.File // the harness's ends, closed by Destroy
	stdout *os.File
}

func (s *sandbox) ID() string { return s.id }

// HostPIDs are the sandbox process (runsc-sandbox, the Sentry), the gofer
// and every descendant of either (systrap stubs, ptrace tracees): found by
// runsc's state and by the --root and --bundle on their command lines.
func (s *sandbox) HostPIDs(ctx context.Context) ([]int, error) {
	var roots []int
	if st, err := s.d.state(ctx, s.id); err == nil && st.Pid > 0 {
		roots = append(roots, st.Pid)
	} else if err != nil && !notExist(err) {
		return nil, fmt.Errorf("host pids of gvisor sandbox %s: %w", s.id, err)
	}
	procs, parent, err := scanProcs()
	if err != nil {
		return nil, fmt.Errorf("host pids of gvisor sandbox %s: %w", s.id, err)
	}
	for pid, p := range procs {
		if p.Root == s.d.Root && p.Bundle == s.bundle {
			roots = append(roots, pid)
		}
	}
	pids := descendants(roots, parent)
	sort.Ints(pids)
	return pids, nil
}

// MemoryCgroup is the memory cgroup runsc put the sandbox process in (by
// default /<id> in each hierarchy), or "" when it has none (it is in the
// root memory cgroup).
func (s *sandbox) MemoryCgroup(ctx context.Context) (string, error) {
	st, err := s.d.state(ctx, s.id)
	if err != nil {
		return "", fmt.Errorf("memory cgroup of gvisor sandbox %s: %w", s.id, err)
	}
	if st.Pid <= 0 {
		return "", fmt.Errorf("memory cgroup of gvisor sandbox %s: not running (%s)", s.id, st.Status)
	}
	dir, err := memstat.FindMemoryCgroup(st.Pid)
	if errors.Is(err, memstat.ErrRootCgroup) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("memory cgroup of gvisor sandbox %s: %w", s.id, err)
	}
	return dir, nil
}

// Destroy kills and deletes the container, kills any host process left with
// its bundle, removes its bundle and closes the harness's pipe ends; outside
// a prepared run it also unmounts runsc's null network namespace pin once
// no sandbox is left under the root. Idempotent.
func (s *sandbox) Destroy(ctx context.Context) error {
	var errs []error
	_, _, binErr := s.d.binary()
	if binErr == nil { // without runsc, nothing of runsc's can exist
		// delete -force kills too; kill's own error matters only when
		// delete fails as well.
		_, killErr := s.d.runsc(ctx, "kill", s.id, "KILL")
		if _, err := s.d.runsc(ctx, "delete", "-force", s.id); err != nil && !notExist(err) {
			errs = append(errs, err)
			if killErr != nil && !notExist(killErr) {
				errs = append(errs, killErr)
			}
		}
	}
	// runsc delete removes the container's cgroups (/<id> in every
	// hierarchy, runsc's default for a bundle without cgroupsPath); a
	// runsc killed halfway through create may not have, and a process it
	// left may still be exiting (its cgroup busy) or, orphaned, still
	// creating one. Kill and remove until both are gone, briefly.
	if err := s.settle(ctx); err != nil {
		errs = append(errs, err)
	}
	s.d.mu.Lock()
	prepared := s.d.prepared
	s.d.mu.Unlock()
	if !prepared && binErr == nil && len(errs) == 0 {
		if err := s.d.releaseNullNetNS(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(s.bundle); err != nil {
		errs = append(errs, fmt.Errorf("remove bundle: %w", err))
	}
	s.mu.Lock()
	for _, f := range []*os.File{s.stdin, s.stdout} {
		if f != nil {
			f.Close()
		}
	}
	s.stdin, s.stdout = nil, nil
	s.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("destroy gvisor sandbox %s: %w", s.id, err)
	}
	return nil
}

// settle kills the bundle's processes and removes the sandbox's cgroups,
// again and again for up to two seconds, until a pass finds nothing to
// kill and every cgroup removed.
func (s *sandbox) settle(ctx context.Context) error {
	deadline := time.Now().Add(2 * time.Second)
	for {
		killErr := killBundleProcs(ctx, s.d.Root, s.bundle)
		cgErr := removeCgroups(s.id)
		if killErr == nil && cgErr == nil && !cgroupsExist(s.id) {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.Join(killErr, cgErr)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// cgroupsExist reports whether any hierarchy still has a cgroup named id.
func cgroupsExist(id string) bool {
	mounts, err := host.ReadMountinfo()
	if err != nil {
		return false
	}
	for _, m := range host.CgroupMounts(mounts) {
		if _, err := os.Stat(filepath.Join(m.Point, id)); err == nil {
			return true
		}
	}
	return false
}

// scanProcs reads every process's parent and, for runsc's processes, its
// root, bundle and subcommand.
func scanProcs() (runsc map[int]runscProc, parent map[int]int, err error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, nil, err
	}
	runsc, parent = map[int]runscProc{}, map[int]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		ps, err := parseProcStat(string(stat))
		if err != nil {
			continue
		}
		parent[pid] = ps.PPID
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		if p, ok := parseRunscCmdline(cmdline); ok {
			runsc[pid] = p
		}
	}
	return runsc, parent, nil
}

// killBundleProcs SIGKILLs, by pid, runsc processes under root serving
// bundle that outlived `runsc delete` (and their descendants), and waits
// until they are gone or ctx ends.
func killBundleProcs(ctx context.Context, root, bundle string) error {
	return killProcs(ctx, func(p runscProc) bool { return p.Root == root && p.Bundle == bundle })
}

func killProcs(ctx context.Context, match func(runscProc) bool) error {
	for {
		procs, parent, err := scanProcs()
		if err != nil {
			return fmt.Errorf("scan processes: %w", err)
		}
		var roots []int
		for pid, p := range procs {
			if match(p) {
				roots = append(roots, pid)
			}
		}
		if len(roots) == 0 {
			return nil
		}
		for _, pid := range descendants(roots, parent) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("processes %v still alive: %w", roots, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// nullNetNSPath is the bind mount runsc makes under its root to pin the
// empty network namespace it shares among gofers (runsc/specutils
// NullNetNSFilename).
func (d *Driver) nullNetNSPath() string { return filepath.Join(d.Root, "null-netns") }

// releaseNullNetNS unmounts the null network namespace pin (runsc may stack
// several) and removes its mount point, when no container is left under
// the root.
func (d *Driver) releaseNullNetNS(ctx context.Context) error {
	l, err := d.list(ctx)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("release null netns: %w", err)
	}
	if len(l) > 0 {
		return nil
	}
	return unmountAll(d.nullNetNSPath(), true)
}

// unmountAll detaches every mount stacked on path, then, when remove is
// set, removes the mount point.
func unmountAll(path string, remove bool) error {
	for {
		err := unix.Unmount(path, unix.MNT_DETACH)
		if err == nil {
			continue
		}
		if err == unix.EINVAL || err == unix.ENOENT {
			break
		}
		return fmt.Errorf("unmount %s: %w", path, err)
	}
	if !remove {
		return nil
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}

// removeCgroups removes the directory named id at the top of every cgroup
// hierarchy, where runsc puts a container by default.
func removeCgroups(id string) error {
	mounts, err := host.ReadMountinfo()
	if err != nil {
		return fmt.Errorf("remove cgroups: %w", err)
	}
	var errs []error
	for _, m := range host.CgroupMounts(mounts) {
		dir := filepath.Join(m.Point, id)
		if err := unix.Rmdir(dir); err != nil && err != unix.ENOENT {
			errs = append(errs, fmt.Errorf("remove cgroup %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}
