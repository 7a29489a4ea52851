package gvisor

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/oci"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Platform is the gVisor platform that intercepts the sandbox's system
// calls.
type Platform string

const (
	// Systrap intercepts system calls with seccomp SECCOMP_RET_TRAP and
	// stub processes: gVisor's default.
	Systrap Platform = "systrap"
	// Ptrace intercepts them with ptrace(2): slower, but works where
	// seccomp trapping does not.
	Ptrace Platform = "ptrace"
)

// Platforms are the platforms this package drives, one variant each.
var Platforms = []Platform{Systrap, Ptrace}

// Well-known paths (see the helper brief).
const (
	// DefaultRoot is runsc's state root for agentic-eval.
	DefaultRoot = "/run/agentic-eval/runsc"
	// CachedRunsc is where scripts/setup-gvisor.sh installs runsc.
	CachedRunsc = "/var/cache/agentic-eval/bin/runsc"
	// EnvRunsc names the environment variable that overrides the binary.
	EnvRunsc = "AGENTIC_EVAL_RUNSC"
)

// commandTimeout bounds a runsc control command (state, list, kill, delete)
// when the caller's context has no earlier deadline.
const commandTimeout = 30 * time.Second

// Driver drives runsc on one platform. Its zero value is not usable: use New.
type Driver struct {
	platform Platform
	// Root is runsc's --root, DefaultRoot unless set before first use.
	Root string
	// Runsc is the runsc binary; "" means found as the brief says:
	// $AGENTIC_EVAL_RUNSC, then runsc on PATH, then CachedRunsc.
	Runsc string

	mu       sync.Mutex
	prepared bool // inside a run (Prepare called, Close not yet)
}

var (
	_ measure.Driver      = (*Driver)(nil)
	_ measure.Snapshotter = (*Driver)(nil)
	_ measure.Sweeper     = (*Driver)(nil)
	_ measure.Preparer    = (*Driver)(nil)
)

// New returns the driver of variant "gvisor/<p>".
func New(p Platform) *Driver {
	return &Driver{platform: p, Root: DefaultRoot}
}

// Drivers returns one driver per platform.
func Drivers() []*Driver {
	ds := make([]*Driver, 0, len(Platforms))
	for _, p := range Platforms {
		ds = append(ds, New(p))
	}
	return ds
}

// System is vms.GVisor.
func (d *Driver) System() vms.System { return vms.GVisor }

// Variant is "gvisor/<platform>".
func (d *Driver) Variant() string { return "gvisor/" + string(d.platform) }

// Platform is the driver's gVisor platform.
func (d *Driver) Platform() Platform { return d.platform }

// Capabilities: runsc checkpoints a running sandbox (memory included),
// restores it, several times from one image, and execs into it. Its
// control plane is a command line; errors are text on stderr even with
// --log-format=json (that flag formats the debug log only; verified with
// this runsc: testdata/kill-missing.txt).
func (d *Driver) Capabilities() measure.Capabilities {
	return measure.Capabilities{
		Snapshot:    true,
		Restore:     true,
		RestoreMany: true,
		Exec:        true,
		Boundary:    "userspace-kernel",
		Control: measure.ControlPlane{
			Kind:               "CLI (OCI runtime)",
			Programmatic:       false,
			MachineErrors:      false,
			DiscoverableSchema: false,
			ToolNative:         false,
		},
	}
}

// binary finds runsc: d.Runsc, $AGENTIC_EVAL_RUNSC, runsc on PATH, then
// CachedRunsc. looked says where it looked.
func (d *Driver) binary() (path string, looked []string, err error) {
	if d.Runsc != "" {
		if _, err := os.Stat(d.Runsc); err != nil {
			return "", []string{d.Runsc}, fmt.Errorf("runsc %s: %w", d.Runsc, err)
		}
		return d.Runsc, []string{d.Runsc}, nil
	}
	if env := os.Getenv(EnvRunsc); env != "" {
		if _, err := os.Stat(env); err != nil {
			return "", []string{"$" + EnvRunsc + "=" + env}, fmt.Errorf("$%s=%s: %w", EnvRunsc, env, err)
		}
		return env, nil, nil
	}
	looked = append(looked, "$"+EnvRunsc+" (unset)")
	if p, err := exec.LookPath("runsc"); err == nil {
		return p, looked, nil
	}
	looked = append(looked, "runsc on PATH")
	if _, err := os.Stat(CachedRunsc); err == nil {
		return CachedRunsc, looked, nil
	}
	looked = append(looked, CachedRunsc)
	return "", looked, errors.New("runsc not found")
}

// Fingerprint checks, without starting a sandbox: runsc found, static,
// its version, root, and the platform usable.
func (d *Driver) Fingerprint(ctx context.Context) measure.Fingerprint {
	fp := measure.Fingerprint{Details: map[string]string{
		"platform": string(d.platform),
		"root":     d.Root,
	}}
	const setupFix = "run scripts/setup-gvisor.sh (builds a static runsc into " + CachedRunsc + "), or set $" + EnvRunsc
	bin, looked, err := d.binary()
	if err != nil {
		fp.Reason = fmt.Sprintf("%v: looked at %s", err, strings.Join(looked, ", "))
		fp.Fix = setupFix
		return fp
	}
	fp.Details["binary"] = bin
	if real, err := filepath.EvalSymlinks(bin); err == nil && real != bin {
		fp.Details["binary_resolved"] = real
	}
	interp, err := binaryInterp(bin)
	if err != nil {
		fp.Reason = fmt.Sprintf("runsc at %s is not a readable ELF binary: %v", bin, err)
		fp.Fix = setupFix
		return fp
	}
	if interp != "" {
		fp.Reason = fmt.Sprintf("runsc at %s is dynamically linked (interpreter %s): a dynamic runsc cannot start sandboxes, it re-executes itself inside an empty root where the loader does not exist", bin, interp)
		fp.Fix = "rebuild it with CGO_ENABLED=0: " + setupFix
		return fp
	}
	fp.Details["linkage"] = "static"
	// A module build (go install ...@version) names its version in the
	// binary's build info; runsc --version then says VERSION_MISSING.
	if bi, err := buildinfo.ReadFile(bin); err == nil {
		if bi.Main.Path == "gvisor.dev/gvisor" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			fp.Details["module_version"] = bi.Main.Version
		}
		fp.Details["go_version"] = bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "CGO_ENABLED" {
				fp.Details["cgo_enabled"] = s.Value
			}
		}
	}
	vctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(vctx, bin, "--version").CombinedOutput()
	if err != nil {
		fp.Reason = fmt.Sprintf("runsc --version failed: %v: %s", err, truncate(out))
		fp.Fix = setupFix
		return fp
	}
	v, specVersion := parseVersion(string(out))
	fp.Details["runsc_version"] = v
	fp.Details["oci_spec"] = specVersion
	// A module build reports VERSION_MISSING: the module version names it.
	fp.Version = v
	if mv := fp.Details["module_version"]; mv != "" && (v == "" || v == "VERSION_MISSING") {
		fp.Version = mv
	}
	if uid := os.Geteuid(); uid != 0 {
		fp.Reason = fmt.Sprintf("runsc needs root to create sandboxes here (euid %d); rootless runsc is not driven", uid)
		fp.Fix = "run agentic-eval as root"
		return fp
	}
	if reason, fix, detail := platformUsable(d.platform); reason != "" {
		fp.Reason, fp.Fix = reason, fix
		return fp
	} else if detail != "" {
		fp.Details["platform_check"] = detail
	}
	fp.Available = true
	return fp
}

// binaryInterp returns the ELF interpreter of the file at path ("" when
// static).
func binaryInterp(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return elfInterp(f)
}

// platformUsable checks that the platform can work here. A non-empty reason
// means it cannot; detail records what was checked.
func platformUsable(p Platform) (reason, fix, detail string) {
	status, _ := os.ReadFile("/proc/self/status")
	switch p {
	case Ptrace:
		const capSysPtrace = 19
		eff, err := capEff(string(status))
		if err != nil {
			return "", "", "CapEff unreadable: assumed usable"
		}
		if eff&(1<<capSysPtrace) == 0 {
			return "the ptrace platform needs CAP_SYS_PTRACE, which this process lacks (CapEff " + fmt.Sprintf("%#x", eff) + ")",
				"run as root with CAP_SYS_PTRACE (e.g. docker run --cap-add SYS_PTRACE)", ""
		}
		if b, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); err == nil && strings.TrimSpace(string(b)) == "3" {
			return "the ptrace platform cannot work: kernel.yama.ptrace_scope is 3 (ptrace disabled until reboot)",
				"boot with kernel.yama.ptrace_scope below 3", ""
		}
		detail = "CAP_SYS_PTRACE held"
		if s := statusField(string(status), "Seccomp"); s == "2" {
			detail += "; a seccomp filter applies to this process and may block ptrace: Start reports it if so"
		}
		return "", "", detail
	case Systrap:
		b, err := os.ReadFile("/proc/sys/kernel/seccomp/actions_avail")
		if err != nil {
			return "", "", "seccomp actions unknown (" + err.Error() + "): assumed usable, Start reports the cause if not"
		}
		if !hasWord(string(b), "trap") {
			return "the systrap platform needs seccomp SECCOMP_RET_TRAP, which this kernel does not offer (actions_avail: " + strings.TrimSpace(string(b)) + ")",
				"use the gvisor/ptrace variant, or a kernel with seccomp filter support", ""
		}
		return "", "", "seccomp trap available"
	default:
		return fmt.Sprintf("unknown gVisor platform %q", p), "use systrap or ptrace", ""
	}
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

// Prepare marks the start of a run: the null network namespace that runsc
// pins under its root stays mounted between sandboxes during the run (as
// it does for any user of a shared runsc root, so that later starts are
// warm), and Close removes it.
func (d *Driver) Prepare(ctx context.Context, env measure.RunEnv) error {
	if err := os.MkdirAll(d.Root, 0o700); err != nil {
		return fmt.Errorf("prepare gvisor root %s: %w", d.Root, err)
	}
	d.mu.Lock()
	d.prepared = true
	d.mu.Unlock()
	return nil
}

// Close ends the run: it unmounts runsc's null network namespace pin when
// no sandbox is left under the root.
func (d *Driver) Close(ctx context.Context) error {
	d.mu.Lock()
	d.prepared = false
	d.mu.Unlock()
	return d.releaseNullNetNS(ctx)
}

// runsc runs a runsc control command under the driver's root and returns
// its stdout; errors carry its stderr.
func (d *Driver) runsc(ctx context.Context, args ...string) ([]byte, error) {
	bin, _, err := d.binary()
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, commandTimeout)
		defer cancel()
	}
	full := append(d.globalFlags(), args...)
	cmd := exec.CommandContext(ctx, bin, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), &runscError{args: args, err: err, stderr: strings.TrimSpace(stderr.String())}
	}
	return stdout.Bytes(), nil
}

func (d *Driver) globalFlags() []string {
	return []string{"--root=" + d.Root, "--platform=" + string(d.platform), "--network=none"}
}

// runscError is a failed runsc command with its stderr.
type runscError struct {
	args   []string
	err    error
	stderr string
}

func (e *runscError) Error() string {
	s := fmt.Sprintf("runsc %s: %v", strings.Join(e.args, " "), e.err)
	if e.stderr != "" {
		s += ": " + e.stderr
	}
	return s
}

func (e *runscError) Unwrap() error { return e.err }

// notExist reports whether err is runsc saying the container does not
// exist.
func notExist(err error) bool {
	var re *runscError
	return errors.As(err, &re) && isNotExist(re.stderr)
}

// list returns the containers under the root.
func (d *Driver) list(ctx context.Context) ([]oci.State, error) {
	out, err := d.runsc(ctx, "list", "-format=json")
	if err != nil {
		return nil, err
	}
	return oci.ParseList("runsc", out)
}

// state returns one container's state.
func (d *Driver) state(ctx context.Context, id string) (oci.State, error) {
	out, err := d.runsc(ctx, "state", id)
	if err != nil {
		return oci.State{}, err
	}
	return oci.ParseState("runsc", out)
}
