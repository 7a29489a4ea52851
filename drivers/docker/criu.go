package docker

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// fixExperimental is what gives the project's private dockerd the
// checkpoint API.
const fixExperimental = "restart the private dockerd with scripts/stop-dockerd.sh && scripts/start-dockerd.sh"

// criuFacts is what this host's CRIU says of itself, no container involved.
type criuFacts struct {
	Path    string // "" when criu is not on PATH
	Version string
	// CheckError is the first error of `criu check`, "" when it passes.
	CheckError string
}

// hostCRIU runs `criu --version` and `criu check`.
func hostCRIU(ctx context.Context) criuFacts {
	p, err := exec.LookPath("criu")
	if err != nil {
		return criuFacts{}
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	f := criuFacts{Path: p}
	vout, _ := exec.CommandContext(cctx, p, "--version").Output()
	f.Version = criuVersion(string(vout))
	out, err := exec.CommandContext(cctx, p, "check").CombinedOutput()
	if err != nil {
		if f.CheckError = criuLogError(string(out)); f.CheckError == "" {
			f.CheckError = err.Error()
		}
	}
	return f
}

// snapshotSituation says whether this driver attempts snapshots, and the
// honest account of why (for Fingerprint's "snapshot" detail): the daemon
// needs experimental mode for its checkpoint API, and the host needs CRIU,
// which the daemon's runc calls. A CRIU whose `criu check` fails is still
// attempted: the checkpoint's own failure is the measured result.
func snapshotSituation(experimental bool, hostSource string, criu criuFacts) (bool, string) {
	if !experimental {
		fix := "start dockerd with --experimental"
		if hostSource == sourcePrivate {
			fix = fixExperimental
		}
		return false, "not offered: the running dockerd is not in experimental mode, which the Engine's checkpoint API needs (fix: " + fix + ")"
	}
	if criu.Path == "" {
		return false, "not offered: dockerd is experimental, but criu is not on PATH: docker checkpoint needs CRIU (apt-get install criu)"
	}
	s := fmt.Sprintf("attempted: docker checkpoint through the Engine API (dockerd experimental: on), CRIU %s at %s", criu.Version, criu.Path)
	if criu.CheckError == "" {
		return true, s + "; `criu check` passes"
	}
	why := ""
	if strings.Contains(criu.CheckError, "vDSO area bounds") {
		why = " (this CRIU predates the vDSO/vvar layout of kernels 6.13+)"
	}
	return true, fmt.Sprintf("%s, although `criu check` fails here: %q%s; the checkpoint's own error is the result", s, criu.CheckError, why)
}

// criuVersion parses `criu --version` ("Version: 3.17.1" and more lines).
func criuVersion(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Version:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// criuLogError returns CRIU's first error line from its log or from `criu
// check`'s output, timestamp and source location included: "(00.012127)
// Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds". The first
// error is the cause; those after it are its consequences. "" when none.
func criuLogError(log string) string {
	for _, line := range strings.Split(log, "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "("); ok {
			if _, after, ok := strings.Cut(rest, ") "); ok && strings.HasPrefix(after, "Error (") {
				return line
			}
			continue
		}
		if strings.HasPrefix(line, "Error (") {
			return line
		}
	}
	return ""
}

// criuLogPath finds the CRIU log a daemon's checkpoint or restore error
// names: runc's "criu failed: type DUMP errno 0 path= /…/criu-dump.log"
// as containerd passes it on, or runc's own "log file: /…/dump.log".
func criuLogPath(msg string) string {
	for _, key := range []string{"path= ", "log file: "} {
		if _, rest, ok := strings.Cut(msg, key); ok {
			p, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
			p = strings.TrimSuffix(p, ":")
			if strings.HasPrefix(p, "/") && strings.HasSuffix(p, ".log") {
				return p
			}
		}
	}
	return ""
}
