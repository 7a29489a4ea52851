package docker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// Exec runs the probe again in the running container through the Engine
// (POST /containers/{id}/exec, then its start with the output attached):
// stdout and stderr are demultiplexed, and the exec's exit code, from
// GET /exec/{id}/json, decides: non-zero is an error carrying its stderr.
// When ctx ends first the stream is closed and the process the exec
// started is killed by its host pid (when the daemon is local and the pid
// is still in the container's cgroup): the Engine has no call to stop an
// exec, and it would otherwise stay in the container.
func (s *sandbox) Exec(ctx context.Context, args ...string) ([]byte, error) {
	d := s.d
	cmd := append([]string{probePath}, args...)
	created, err := s.cli.ContainerExecCreate(ctx, s.id, container.ExecOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return nil, fmt.Errorf("exec in docker sandbox %s: create exec: %w", s.name, daemonError(err))
	}
	hj, err := s.cli.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
	if err != nil {
		d.killExec(ctx, s, created.ID)
		return nil, fmt.Errorf("exec in docker sandbox %s: start exec: %w", s.name, daemonError(err))
	}
	var stdout, stderr bytes.Buffer
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(&stdout, &stderr, hj.Reader)
		copied <- err
	}()
	select {
	case err = <-copied:
		hj.Close()
	case <-ctx.Done():
		hj.Close()
		<-copied
		d.killExec(ctx, s, created.ID)
		return stdout.Bytes(), fmt.Errorf("exec in docker sandbox %s: %w", s.name, ctx.Err())
	}
	if err != nil {
		return stdout.Bytes(), fmt.Errorf("exec in docker sandbox %s: read output: %w", s.name, err)
	}
	// The stream ends when the process has exited; its exit code is set
	// by then, but ask until the daemon says it no longer runs.
	for {
		ins, err := s.cli.ContainerExecInspect(ctx, created.ID)
		if err != nil {
			return stdout.Bytes(), fmt.Errorf("exec in docker sandbox %s: inspect exec: %w", s.name, daemonError(err))
		}
		if !ins.Running {
			if ins.ExitCode != 0 {
				msg := fmt.Sprintf("%s exited with code %d", strings.Join(cmd, " "), ins.ExitCode)
				if e := strings.TrimSpace(truncateBytes(stderr.Bytes())); e != "" {
					msg += ": " + e
				}
				return stdout.Bytes(), fmt.Errorf("exec in docker sandbox %s: %s", s.name, msg)
			}
			return stdout.Bytes(), nil
		}
		select {
		case <-ctx.Done():
			d.killExec(ctx, s, created.ID)
			return stdout.Bytes(), fmt.Errorf("exec in docker sandbox %s: output ended but the process still runs: %w", s.name, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// killExec SIGKILLs the host process of an exec that still runs, when the
// daemon is local and the process is in the container's cgroup.
func (d *Driver) killExec(ctx context.Context, s *sandbox, execID string) {
	if socketPath(d.host) == "" {
		return
	}
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pingTimeout)
	defer cancel()
	ins, err := s.cli.ContainerExecInspect(kctx, execID)
	if err != nil || !ins.Running || ins.Pid <= 0 {
		return
	}
	cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", ins.Pid))
	if err != nil || !strings.Contains(string(cg), s.id) {
		return
	}
	syscall.Kill(ins.Pid, syscall.SIGKILL)
}

func truncateBytes(b []byte) string {
	const n = 2000
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
