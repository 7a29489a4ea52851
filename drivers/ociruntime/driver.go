package ociruntime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/agentic-eval/agentic-eval/criu"
	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/oci"
	"github.com/agentic-eval/agentic-eval/vms"
)

// CgroupParent is the cgroup under which every sandbox gets its own,
// named by its ID, in every hierarchy. Like the project's state
// directories it stays once made, empty: removing it at a run's end raced
// with another run's runtime making a sandbox's cgroup under it ("mkdir
// /sys/fs/cgroup/memory/agentic-eval/ae-...: no such file or directory").
const CgroupParent = "/agentic-eval"

// cleanupTimeout bounds the clean-up after a failed Start, which runs even
// when Start's context is already cancelled.
const cleanupTimeout = 30 * time.Second

// Checkpointing is how a runtime snapshots a running container.
type Checkpointing int

const (
	// NoCheckpoint: the runtime cannot checkpoint.
	NoCheckpoint Checkpointing = iota
	// CRIU: `checkpoint` and `restore` through CRIU, with a work directory
	// whose logs explain a failure (runc, crun).
	CRIU
	// Native: the runtime saves its own state (runsc).
	Native
)

// Config is one runtime's configuration and quirks.
type Config struct {
	System  vms.System
	Variant string
	// Name is the runtime's name in errors and details ("runc").
	Name string
	// Find locates the binary; looked says where it looked, for the
	// fingerprint. Fix says how to install it.
	Find func() (path string, looked []string, err error)
	Fix  string
	// Root is the runtime's state root.
	Root string
	// Flags are global flags after --root.
	Flags []string
	// ExecPidFileFlag as oci.Runtime's.
	ExecPidFileFlag string
	// ExecPIDInSandbox: the pid exec writes is the sandbox's own (runsc),
	// killed through the runtime; else it is a host pid.
	ExecPIDInSandbox bool
	// Wrapper, when it returns a command line, runs the runtime inside it.
	Wrapper func() []string

	Boundary   vms.Boundary
	Control    driver.ControlPlane
	Checkpoint Checkpointing
	// Warnings qualify every figure measured through the runtime.
	Warnings []string

	// Fingerprint adds the runtime's own checks once its binary answered
	// --version; it sets fp.Reason and fp.Fix when the runtime cannot run
	// here.
	Fingerprint func(ctx context.Context, rt *oci.Runtime, fp *driver.Fingerprint)
	// Version parses `--version`; nil reads "<name> version V".
	Version func(out string) (version string, details map[string]string)
	// Release runs when the root holds no container any more, at the end
	// of a run and after a sandbox destroyed outside one (runsc unmounts
	// its null network namespace pin). Leftovers reports every mount under
	// the root at such a time.
	Release func(ctx context.Context, rt *oci.Runtime) error
}

// Driver drives one OCI runtime. Use New.
type Driver struct {
	cfg Config

	mu       sync.Mutex
	shared   string // read-only rootfs shared by the run's bundles, "" when none
	probe    string // the probe in shared
	prepared bool
}

// New returns the driver of cfg.
func New(cfg Config) *Driver { return &Driver{cfg: cfg} }

var (
	_ driver.Driver   = (*Driver)(nil)
	_ driver.Preparer = (*Driver)(nil)
	_ driver.Reaper   = (*Driver)(nil)
	_ driver.Restorer = (*Driver)(nil)
)

// System is the catalog row.
func (d *Driver) System() vms.System { return d.cfg.System }

// Variant is the variant's name.
func (d *Driver) Variant() string { return d.cfg.Variant }

// Root is the runtime's state root.
func (d *Driver) Root() string { return d.cfg.Root }

// Capabilities are the configuration's: exec always, checkpoint and
// restore (many times from one image) as the runtime checkpoints. Whether
// a checkpoint works on this host is what the attempt finds out.
func (d *Driver) Capabilities() driver.Capabilities {
	snap := d.cfg.Checkpoint != NoCheckpoint
	return driver.Capabilities{
		Snapshot:    snap,
		Restore:     snap,
		RestoreMany: snap,
		Exec:        true,
		Image:       true,
		Boundary:    d.cfg.Boundary,
		Control:     d.cfg.Control,
	}
}

// Runtime is the client for the runtime binary, found anew.
func (d *Driver) Runtime() (*oci.Runtime, error) {
	bin, looked, err := d.cfg.Find()
	if err != nil {
		if len(looked) > 0 {
			return nil, fmt.Errorf("%w: looked at %s", err, strings.Join(looked, ", "))
		}
		return nil, err
	}
	rt := &oci.Runtime{Name: d.cfg.Name, Binary: bin, Root: d.cfg.Root, Flags: d.cfg.Flags, ExecPidFileFlag: d.cfg.ExecPidFileFlag}
	if d.cfg.Wrapper != nil {
		rt.Wrapper = d.cfg.Wrapper()
	}
	return rt, nil
}

// Fingerprint checks the binary and its version, root, a memory cgroup for
// each sandbox, then the runtime's own checks. It starts no sandbox.
func (d *Driver) Fingerprint(ctx context.Context) driver.Fingerprint {
	fp := driver.Fingerprint{Details: map[string]string{"state_root": d.cfg.Root}}
	fp.Warnings = append(fp.Warnings, d.cfg.Warnings...)
	// The binary, root and a memory cgroup are checked each on its own:
	// every one missing is named.
	var lacks driver.Lacks
	rt, err := d.Runtime()
	if err != nil {
		lacks.Add(err.Error(), d.cfg.Fix)
	} else {
		fp.Details["binary"] = rt.Binary
		if len(rt.Wrapper) > 0 {
			fp.Details["wrapper"] = strings.Join(rt.Wrapper, " ")
		}
		if v, details, err := d.version(ctx, rt); err != nil {
			lacks.Add(err.Error(), d.cfg.Fix)
		} else {
			fp.Version = v
			for k, val := range details {
				fp.Details[k] = val
			}
		}
	}
	if euid := os.Geteuid(); euid != 0 {
		lacks.Add(fmt.Sprintf("not root (euid %d): %s needs root to create namespaces and cgroups (rootless mode is not driven)", euid, d.cfg.Name), "run agentic-eval as root (sudo)")
	}
	if mounts, err := host.ReadMountinfo(); err != nil {
		lacks.Add(err.Error(), "mount /proc")
	} else {
		layout, ok := CgroupLayout(mounts)
		fp.Details["cgroups"] = layout
		if !ok {
			lacks.Add("no memory cgroup: neither the cgroup v1 memory controller nor a cgroup2 hierarchy is mounted",
				"mount cgroup2 at /sys/fs/cgroup (or the v1 memory controller at /sys/fs/cgroup/memory)")
		}
	}
	if lacks.Any() {
		return lacks.Fill(fp)
	}
	if d.cfg.Checkpoint == CRIU {
		fp.Details["snapshot"] = criuNote(ctx, d.cfg.Name)
	}
	if d.cfg.Fingerprint != nil {
		d.cfg.Fingerprint(ctx, rt, &fp)
		if fp.Reason != "" {
			return fp
		}
	}
	fp.Available = true
	return fp
}

// version runs the runtime's --version and reads it.
func (d *Driver) version(ctx context.Context, rt *oci.Runtime) (string, map[string]string, error) {
	vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(vctx, rt.Binary, "--version").CombinedOutput()
	if err != nil {
		return "", nil, fmt.Errorf("%s --version failed: %v: %s", rt.Binary, err, host.Truncate(strings.TrimSpace(string(out)), 200))
	}
	parse := d.cfg.Version
	if parse == nil {
		parse = func(out string) (string, map[string]string) { return ParseVersion(d.cfg.Name, out) }
	}
	v, details := parse(string(out))
	if v == "" {
		return "", nil, fmt.Errorf("%s --version printed no version: %q", rt.Binary, host.Truncate(string(out), 200))
	}
	return v, details, nil
}

// ParseVersion reads "<name> version V" and "spec: S" from a runtime's
// --version output.
func ParseVersion(name, out string) (string, map[string]string) {
	var v string
	details := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, name+" version "); ok {
			v = strings.TrimSpace(rest)
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch key = strings.TrimSpace(key); key {
		case "spec", "libseccomp", "commit":
			if key == "spec" {
				key = "oci_spec"
			}
			details[key] = strings.TrimSpace(val)
		}
	}
	return v, details
}

// CgroupLayout describes the host's cgroup mounts and says whether a
// sandbox gets a memory cgroup.
func CgroupLayout(mounts []host.Mount) (string, bool) {
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

// criuNote says how the runtime snapshots here, with what `criu check`
// says on this host. The checkpoint is attempted even when that check
// fails: the attempt's own failure is the measured result.
func criuNote(ctx context.Context, name string) string {
	h := criu.Look(ctx)
	if h.Path == "" {
		return fmt.Sprintf("attempted: %s checkpoint needs CRIU, and criu is not on PATH (apt-get install criu): the attempt fails", name)
	}
	kernel := host.KernelRelease()
	if h.CheckErr == nil {
		return fmt.Sprintf("attempted: %s checkpoint/restore through CRIU %s (%s) on kernel %s; `criu check` passes", name, h.Version, h.Path, kernel)
	}
	msg := criu.CheckError(h.CheckOutput)
	if msg == "" {
		msg = h.CheckErr.Error()
	}
	why := ""
	if cause := criu.KnownCause(msg); cause != "" {
		why = " (" + cause + ")"
	}
	return fmt.Sprintf("attempted: %s checkpoint/restore through CRIU %s (%s) on kernel %s, although `criu check` fails here: %q%s; the checkpoint's own error is the result", name, h.Version, h.Path, kernel, msg, why)
}

// sharedRootfsName is the shared rootfs's directory in the run's scratch
// directory.
const sharedRootfsName = "rootfs"

// Prepare writes the run's shared read-only rootfs (the probe, hard-linked
// when it can be, and the mount points) under env.Dir, so that Start
// writes only a config.json per sandbox.
func (d *Driver) Prepare(ctx context.Context, env driver.RunEnv) error {
	if env.Dir == "" || env.Probe == "" {
		return fmt.Errorf("prepare %s driver: run needs Dir and Probe", d.cfg.Variant)
	}
	if err := os.MkdirAll(d.cfg.Root, 0o711); err != nil {
		return fmt.Errorf("prepare %s driver: state root: %w", d.cfg.Variant, err)
	}
	dir := filepath.Join(env.Dir, strings.ReplaceAll(d.cfg.Variant, "/", "-")+"-"+sharedRootfsName)
	if err := oci.WriteRootfs(dir, oci.Options{ID: "ae-" + env.RunID, Probe: env.Probe, ReadonlyRootfs: true}); err != nil {
		return fmt.Errorf("prepare %s driver for run %s: %w", d.cfg.Variant, env.RunID, err)
	}
	d.mu.Lock()
	old := d.shared
	d.shared, d.probe, d.prepared = dir, env.Probe, true
	d.mu.Unlock()
	if old != "" && old != dir {
		os.RemoveAll(old)
	}
	return nil
}

// Close removes the shared rootfs, the shared parent cgroup once empty,
// and releases the root when no container is left in it.
func (d *Driver) Close(ctx context.Context) error {
	d.mu.Lock()
	dir := d.shared
	d.shared, d.probe, d.prepared = "", "", false
	d.mu.Unlock()
	var errs []error
	if dir != "" {
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, err)
		}
	}
	if err := d.release(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close %s driver: %w", d.cfg.Variant, err)
	}
	return nil
}

// release runs the Release hook when the root holds no container.
func (d *Driver) release(ctx context.Context) error {
	if d.cfg.Release == nil {
		return nil
	}
	rt, err := d.Runtime()
	if err != nil {
		return nil // without the runtime nothing of its can exist
	}
	if empty, err := d.rootEmpty(ctx, rt); err != nil || !empty {
		return err
	}
	return d.cfg.Release(ctx, rt)
}

func (d *Driver) rootEmpty(ctx context.Context, rt *oci.Runtime) (bool, error) {
	if _, err := os.Stat(d.cfg.Root); os.IsNotExist(err) {
		return true, nil
	}
	l, err := rt.List(ctx)
	if err != nil {
		return false, fmt.Errorf("list %s containers: %w", d.cfg.Name, err)
	}
	return len(l) == 0, nil
}

// OnPath is a Config.Find that looks the binary name up on PATH.
func OnPath(name string) func() (string, []string, error) {
	return func() (string, []string, error) {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", []string{name + " on PATH"}, fmt.Errorf("%s binary not found", name)
		}
		return p, nil, nil
	}
}
