package ociruntime

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/agentic-eval/agentic-eval/oci"
)

var execSeq atomic.Int64

// Exec runs the probe again inside the container through the runtime's
// exec and returns its stdout. When ctx ends first, the exec'd process is
// killed (through the runtime when its pid is the sandbox's own), so that
// nothing an exec started outlives it.
func (s *sandbox) Exec(ctx context.Context, args ...string) ([]byte, error) {
	pidFile := filepath.Join(s.dir, "exec-"+strconv.FormatInt(execSeq.Add(1), 10)+".pid")
	defer os.Remove(pidFile)
	out, err := s.rt.Exec(ctx, s.id, pidFile, append([]string{oci.ProbePath}, args...)...)
	if cerr := ctx.Err(); cerr != nil {
		s.killExecd(context.WithoutCancel(ctx), pidFile)
		if err == nil {
			err = cerr
		}
	}
	if err != nil {
		return out, fmt.Errorf("exec in %s sandbox %s: %w", s.d.cfg.Variant, s.id, err)
	}
	return out, nil
}

// killExecd kills the process whose pid the exec wrote, if it is still the
// sandbox's.
func (s *sandbox) killExecd(ctx context.Context, pidFile string) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return // the exec died before its process started
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return
	}
	if s.d.cfg.ExecPIDInSandbox {
		_ = s.rt.KillPID(ctx, s.id, pid, "KILL")
		return
	}
	cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err == nil && strings.Contains(string(cg), cgroupOf(s.id)+"\n") {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
