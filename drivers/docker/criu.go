package docker

import (
	"context"
	"fmt"
	"strings"

	"github.com/agentic-eval/agentic-eval/criu"
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

// hostCRIU runs `criu --version` and `criu check`. CheckError is the
// whole first error line of `criu check`'s output, or its failure.
func hostCRIU(ctx context.Context) criuFacts {
	h := criu.Look(ctx)
	f := criuFacts{Path: h.Path, Version: h.Version}
	if h.CheckErr != nil {
		if f.CheckError = criu.LogError(h.CheckOutput); f.CheckError == "" {
			f.CheckError = h.CheckErr.Error()
		}
	}
	return f
}

// snapshotSituation says whether this driver attempts snapshots, and the
// honest account of why (for Fingerprint's "snapshot" detail): the daemon
// needs experimental mode for its checkpoint API, and the host needs CRIU,
// which the daemon's runc calls. A CRIU whose `criu check` fails is still
// attempted: the checkpoint's own failure is the measured result.
func snapshotSituation(experimental bool, hostSource string, c criuFacts) (bool, string) {
	if !experimental {
		fix := "start dockerd with --experimental"
		if hostSource == sourcePrivate {
			fix = fixExperimental
		}
		return false, "not offered: the running dockerd is not in experimental mode, which the Engine's checkpoint API needs (fix: " + fix + ")"
	}
	if c.Path == "" {
		return false, "not offered: dockerd is experimental, but criu is not on PATH: docker checkpoint needs CRIU (apt-get install criu)"
	}
	s := fmt.Sprintf("attempted: docker checkpoint through the Engine API (dockerd experimental: on), CRIU %s at %s", c.Version, c.Path)
	if c.CheckError == "" {
		return true, s + "; `criu check` passes"
	}
	why := ""
	if cause := criu.KnownCause(c.CheckError); cause != "" {
		why = " (" + cause + ")"
	}
	return true, fmt.Sprintf("%s, although `criu check` fails here: %q%s; the checkpoint's own error is the result", s, c.CheckError, why)
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
