package gvisor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/oci"
)

var _ measure.Execer = (*Driver)(nil)

// execSeq numbers the pid files of concurrent execs.
var execSeq atomic.Int64

// Exec runs `runsc exec ID /sandbox-probe ARGS...` in the foreground, its
// stdin on /dev/null, and returns the process's stdout. A non-zero exit is
// an error carrying runsc's stderr. The process runs inside the sandbox's
// own kernel, not on the host: when ctx ends first, runsc exec is killed
// and the process is killed inside the sandbox with `runsc kill --pid`
// (its pid inside, from --internal-pid-file), which runsc exec alone would
// leave running.
func (d *Driver) Exec(ctx context.Context, sb measure.Sandbox, args ...string) ([]byte, error) {
	s, ok := sb.(*sandbox)
	if !ok || s.d != d {
		return nil, fmt.Errorf("exec in gvisor sandbox %s: not a sandbox of driver %s", sb.ID(), d.Variant())
	}
	bin, looked, err := d.binary()
	if err != nil {
		return nil, fmt.Errorf("exec in gvisor sandbox %s: %w: looked at %s", s.id, err, strings.Join(looked, ", "))
	}
	pidFile := filepath.Join(s.dir, "exec-"+strconv.FormatInt(execSeq.Add(1), 10)+".pid")
	defer os.Remove(pidFile)
	sub := append([]string{"exec", "--internal-pid-file=" + pidFile, s.id, oci.ProbePath}, args...)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append(d.globalFlags(), sub...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	if runErr != nil {
		err = &runscError{args: sub, err: runErr, stderr: strings.TrimSpace(stderr.String())}
	}
	if cerr := ctx.Err(); cerr != nil {
		if err == nil {
			err = cerr
		} else {
			err = fmt.Errorf("%w (%w)", err, cerr)
		}
		if kerr := d.killExecd(context.WithoutCancel(ctx), s.id, pidFile); kerr != nil {
			err = fmt.Errorf("%w; %w", err, kerr)
		}
	}
	if err != nil {
		return stdout.Bytes(), fmt.Errorf("exec in gvisor sandbox %s: %w", s.id, err)
	}
	return stdout.Bytes(), nil
}

// killExecd kills, inside sandbox id, the process whose pid runsc exec
// wrote to pidFile. A process already gone is success.
func (d *Driver) killExecd(ctx context.Context, id, pidFile string) error {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return nil // runsc exec died before the process started
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return nil
	}
	kctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	if _, err := d.runsc(kctx, "kill", "--pid="+strconv.Itoa(pid), id, "KILL"); err != nil && !notExist(err) {
		if strings.Contains(err.Error(), "no such process") || strings.Contains(err.Error(), "not found") {
			return nil
		}
		return fmt.Errorf("kill exec'd process %d: %w", pid, err)
	}
	return nil
}

// parsePs parses `runsc ps --format=json ID`: the pids of the processes
// in the sandbox, as its own kernel numbers them ([1] for the init alone).
func parsePs(b []byte) ([]int, error) {
	var pids []int
	if err := json.Unmarshal(b, &pids); err != nil {
		return nil, fmt.Errorf("parse runsc ps: %w: %q", err, truncate(b))
	}
	return pids, nil
}

// processes lists the pids inside sandbox id.
func (d *Driver) processes(ctx context.Context, id string) ([]int, error) {
	out, err := d.runsc(ctx, "ps", "--format=json", id)
	if err != nil {
		return nil, err
	}
	return parsePs(out)
}
