package criu

import (
	"context"
	"os/exec"
	"strings"
	"time"
)

// Host is what this host's CRIU says of itself, no container involved.
type Host struct {
	Path    string // "" when criu is not on PATH; then the rest is empty
	Version string // from `criu --version`, "unknown" when it says none
	// CheckOutput is the combined output of `criu check`, and CheckErr its
	// failure: nil when the check passes.
	CheckOutput string
	CheckErr    error
}

// Look finds criu on PATH and runs `criu --version` and `criu check`,
// within ten seconds.
func Look(ctx context.Context) Host {
	p, err := exec.LookPath("criu")
	if err != nil {
		return Host{}
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	h := Host{Path: p}
	vout, _ := exec.CommandContext(cctx, p, "--version").Output()
	h.Version = Version(string(vout))
	out, err := exec.CommandContext(cctx, p, "check").CombinedOutput()
	h.CheckOutput, h.CheckErr = string(out), err
	return h
}

// Version parses `criu --version` ("Version: 3.17.1" and more lines). It
// returns "unknown" when there is no version line.
func Version(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Version:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// CheckError returns the first error of `criu check`, without its source
// location: "Error (criu/vdso.c:381): vdso: X" gives "vdso: X". It returns
// "" when the output holds no error.
func CheckError(out string) string {
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "Error (")
		if !ok {
			continue
		}
		if _, msg, ok := strings.Cut(rest, "): "); ok {
			return strings.TrimSpace(msg)
		}
	}
	return ""
}

// LogError returns CRIU's first error line from one of its logs (dump.log,
// restore.log, containerd's criu-dump.log) or from `criu check`'s output,
// whole: "(00.011090) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO
// area bounds" from a log, "Error (criu/vdso.c:381): ..." from `criu
// check`. The first error is the cause; the lines after it are its
// consequences. It returns "" when there is no error line.
func LogError(log string) string {
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

// KnownCause explains a CRIU error this project has met and understood,
// or returns "" for any other: CRIU releases before the vDSO/vvar split of
// kernel 6.13 fail every dump there with "Unexpected rt vDSO area bounds".
func KnownCause(msg string) string {
	if strings.Contains(msg, "vDSO area bounds") {
		return "this CRIU predates the vDSO/vvar layout of kernels 6.13+"
	}
	return ""
}
