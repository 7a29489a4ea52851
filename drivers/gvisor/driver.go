package gvisor

import (
	"context"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/drivers/ociruntime"
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

// Well-known paths.
const (
	// DefaultRoot is runsc's state root for agentic-eval.
	DefaultRoot = "/run/agentic-eval/runsc"
	// CachedRunsc is where scripts/setup-gvisor.sh installs runsc.
	CachedRunsc = "/var/cache/agentic-eval/bin/runsc"
	// EnvRunsc names the environment variable that overrides the binary.
	EnvRunsc = "AGENTIC_EVAL_RUNSC"
)

// Config is the configuration of variant "gvisor/<p>": runsc with the
// network off, on platform p, checkpointing natively. Its quirks: only a
// static runsc can start a sandbox; a module build names its version only
// in its build info; the platform must be usable here; and runsc pins an
// empty network namespace under its root that must be unmounted once the
// root holds no sandbox.
func Config(p Platform) ociruntime.Config {
	return ociruntime.Config{
		System:           vms.GVisor,
		Variant:          "gvisor/" + string(p),
		Name:             "runsc",
		Find:             find,
		Fix:              setupFix,
		Root:             DefaultRoot,
		Flags:            []string{"--platform=" + string(p), "--network=none"},
		ExecPidFileFlag:  "--internal-pid-file",
		ExecPIDInSandbox: true,
		Boundary:         vms.BoundaryUserspaceKernel,
		Checkpoint:       ociruntime.Native,
		// A command line; errors are text on stderr even with
		// --log-format=json (that flag formats the debug log only:
		// testdata/kill-missing-log-format-json.txt).
		Control:     driver.ControlPlane{Kind: "CLI (OCI runtime)"},
		Fingerprint: func(ctx context.Context, rt *oci.Runtime, fp *driver.Fingerprint) { fingerprint(p, rt, fp) },
		Version: func(out string) (string, map[string]string) {
			v, spec := parseVersion(out)
			return v, map[string]string{"runsc_version": v, "oci_spec": spec}
		},
		Release: releaseNullNetNS,
	}
}

// New returns the driver of variant "gvisor/<p>".
func New(p Platform) *ociruntime.Driver { return ociruntime.New(Config(p)) }

const setupFix = "run scripts/setup-gvisor.sh (builds a static runsc into " + CachedRunsc + "), or set $" + EnvRunsc

// find finds runsc: $AGENTIC_EVAL_RUNSC, runsc on PATH, then CachedRunsc.
// looked says where it looked.
func find() (path string, looked []string, err error) {
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

// fingerprint adds runsc's own checks: static, its module version, and
// the platform usable here.
func fingerprint(p Platform, rt *oci.Runtime, fp *driver.Fingerprint) {
	fp.Details["platform"] = string(p)
	bin := rt.Binary
	if real, err := filepath.EvalSymlinks(bin); err == nil && real != bin {
		fp.Details["binary_resolved"] = real
	}
	interp, err := binaryInterp(bin)
	if err != nil {
		fp.Reason = fmt.Sprintf("runsc at %s is not a readable ELF binary: %v", bin, err)
		fp.Fix = setupFix
		return
	}
	if interp != "" {
		fp.Reason = fmt.Sprintf("runsc at %s is dynamically linked (interpreter %s): a dynamic runsc cannot start sandboxes, it re-executes itself inside an empty root where the loader does not exist", bin, interp)
		fp.Fix = "rebuild it with CGO_ENABLED=0: " + setupFix
		return
	}
	fp.Details["linkage"] = "static"
	// A module build (go install ...@version) names its version in the
	// binary's build info; runsc --version then says VERSION_MISSING.
	if bi, err := buildinfo.ReadFile(bin); err == nil {
		if bi.Main.Path == "gvisor.dev/gvisor" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			fp.Details["module_version"] = bi.Main.Version
			if fp.Version == "" || fp.Version == "VERSION_MISSING" {
				fp.Version = bi.Main.Version
			}
		}
		fp.Details["go_version"] = bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "CGO_ENABLED" {
				fp.Details["cgo_enabled"] = s.Value
			}
		}
	}
	if reason, fix, detail := platformUsable(p); reason != "" {
		fp.Reason, fp.Fix = reason, fix
	} else if detail != "" {
		fp.Details["platform_check"] = detail
	}
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

// nullNetNSPath is the bind mount runsc makes under its root to pin the
// empty network namespace it shares among gofers (runsc/specutils
// NullNetNSFilename).
func nullNetNSPath(root string) string { return filepath.Join(root, "null-netns") }

// releaseNullNetNS unmounts the null network namespace pin (runsc may
// stack several) and removes its mount point; ociruntime calls it when the
// root holds no sandbox.
func releaseNullNetNS(ctx context.Context, rt *oci.Runtime) error {
	if err := ociruntime.UnmountAll(nullNetNSPath(rt.Root)); err != nil {
		return fmt.Errorf("release runsc's null netns: %w", err)
	}
	return nil
}
