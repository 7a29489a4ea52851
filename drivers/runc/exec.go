package runc

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/oci"
)

// execSeq numbers the pid files of concurrent execs.
var execSeq atomic.Int64

// Exec runs `runc exec ID /sandbox-probe ARGS...` in the foreground with
// its stdin on /dev/null and returns the process's stdout. A non-zero exit
// is an error carrying runc's stderr (runc's JSON error lines, else the
// process's own stderr). When ctx ends first, runc is killed, and so is the
// process it started in the container (by the pid runc wrote to its pid
// file, once that pid is checked to be in the sandbox's cgroup): runc does
// not pass SIGKILL on, and the process would otherwise stay behind.
func (d *Driver) Exec(ctx context.Context, sb measure.Sandbox, args ...string) ([]byte, error) {
	s, ok := sb.(*sandbox)
	if !ok || s.d != d {
		return nil, fmt.Errorf("exec in runc sandbox %s: not a sandbox of driver %s", sb.ID(), d.Variant())
	}
	bin, err := d.binary()
	if err != nil {
		return nil, fmt.Errorf("exec in runc sandbox %s: %w", s.id, err)
	}
	pidFile := filepath.Join(filepath.Dir(s.bundle), "exec-"+strconv.FormatInt(execSeq.Add(1), 10)+".pid")
	defer os.Remove(pidFile)
	full := append([]string{"--root", d.root(), "--log-format", "json", "exec", "--pid-file", pidFile, s.id, oci.ProbePath}, args...)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	if cerr := ctx.Err(); cerr != nil {
		killExecd(pidFile, s.id)
		if runErr != nil {
			return stdout.Bytes(), fmt.Errorf("exec in runc sandbox %s: %w (%w)", s.id, runcError("exec", stderr.Bytes(), runErr), cerr)
		}
	}
	if runErr != nil {
		return stdout.Bytes(), fmt.Errorf("exec in runc sandbox %s: %w", s.id, runcError("exec", stderr.Bytes(), runErr))
	}
	return stdout.Bytes(), nil
}

// killExecd SIGKILLs the process runc exec wrote to pidFile, when it is
// still in sandbox id's cgroup.
func killExecd(pidFile, id string) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return
	}
	pid := atoi(strings.TrimSpace(string(b)))
	if pid <= 0 {
		return
	}
	cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil || !strings.Contains(string(cg), CgroupParent+"/"+id+"\n") {
		return
	}
	syscall.Kill(pid, syscall.SIGKILL)
}
