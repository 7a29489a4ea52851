package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/memstat"
)

// Start creates a container named spec.ID running the probe from the run's
// image, with no network and stdin open; attaches to its stdin and stdout
// and hands them to spec.Attach; then starts it. The probe is the one
// Prepare imported (RunEnv.Probe); Spec.Probe is not read. On any failure,
// the context's end included, it removes the container. The attached
// streams outlive ctx: they end with Destroy. Start is safe for concurrent
// use.
func (d *Driver) Start(ctx context.Context, spec driver.Spec) (driver.Sandbox, error) {
	sb, err := d.launch(ctx, spec, container.StartOptions{})
	if err != nil {
		return nil, fmt.Errorf("start docker sandbox %s: %w", spec.ID, err)
	}
	return sb, nil
}

// launch is Start and Restore: create the container, attach to it, hand
// the streams to spec.Attach, then start it with opts (a checkpoint to
// start from, for Restore). On failure it removes the container.
func (d *Driver) launch(ctx context.Context, spec driver.Spec, opts container.StartOptions) (*sandbox, error) {
	d.mu.Lock()
	runID, img := d.runID, d.image
	if !spec.Image.IsZero() {
		img = d.sandboxImage
	}
	d.mu.Unlock()
	if img == "" {
		return nil, errors.New("no image for this sandbox: Prepare was not called, failed, or imported no sandbox image")
	}
	if spec.Attach == nil {
		return nil, errors.New("spec has no Attach")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cli, err := d.client()
	if err != nil {
		return nil, err
	}

	cfg := &container.Config{
		Image:        img,
		Cmd:          append([]string{probePath}, spec.Args...),
		OpenStdin:    true,
		AttachStdin:  true,
		AttachStdout: true,
		AttachStderr: true,
		Tty:          false,
		Labels:       map[string]string{RunLabel: runID, SandboxLabel: spec.ID},
	}
	hostCfg := &container.HostConfig{NetworkMode: "none"}
	if !spec.Image.IsZero() {
		// As the OCI bundles on the image: a fresh writable /work.
		hostCfg.Tmpfs = map[string]string{"/work": "rw,nosuid,nodev,size=262144k,mode=1777"}
	}
	id, err := d.create(ctx, cli, cfg, hostCfg, spec.ID)
	if err != nil {
		return nil, fmt.Errorf("create container: %w", daemonError(err))
	}

	sb := &sandbox{d: d, cli: cli, name: spec.ID, id: id}
	fail := func(step string, err error) (*sandbox, error) {
		err = fmt.Errorf("%s: %w", step, daemonError(err))
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if rerr := sb.Destroy(rctx); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return nil, err
	}

	// Attach before start: the stream then holds the probe's output from
	// its first byte.
	hj, err := cli.ContainerAttach(ctx, id, container.AttachOptions{Stream: true, Stdin: true, Stdout: true})
	if err != nil {
		return fail("attach", err)
	}
	pr, pw := io.Pipe()
	sb.attach(hj, pw)
	spec.Attach(pr, hj.Conn)

	if err := cli.ContainerStart(ctx, id, opts); err != nil {
		step := "start container"
		if opts.CheckpointID != "" {
			step = fmt.Sprintf("start container from checkpoint %s in %s", opts.CheckpointID, opts.CheckpointDir)
		}
		return fail(step, err)
	}
	return sb, nil
}

// create creates the container and returns its id. The request itself is
// not cut short by ctx: a daemon that has received it may still create the
// container after the client hung up, and only the answer tells which. When
// ctx ends first, create returns at once and a background goroutine (which
// Close waits for) removes the container once the answer arrives.
func (d *Driver) create(ctx context.Context, cli *client.Client, cfg *container.Config, hostCfg *container.HostConfig, name string) (string, error) {
	type result struct {
		id  string
		err error
	}
	answer := make(chan result, 1)
	d.pending.Add(1)
	go func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		resp, err := cli.ContainerCreate(cctx, cfg, hostCfg, nil, nil, name)
		answer <- result{resp.ID, err}
	}()
	select {
	case r := <-answer:
		d.pending.Done()
		if r.err != nil {
			return "", r.err
		}
		return r.id, nil
	case <-ctx.Done():
		go func() {
			defer d.pending.Done()
			r := <-answer
			if r.err != nil {
				return // nothing was created (or, if the daemon hung past cleanupTimeout, Close's sweep finds it)
			}
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			// A failure here is not lost: Close sweeps the run's containers.
			_ = cli.ContainerRemove(rctx, r.id, container.RemoveOptions{Force: true, RemoveVolumes: true})
		}()
		return "", ctx.Err()
	}
}

// sandbox is one container.
type sandbox struct {
	d    *Driver
	cli  *client.Client
	name string // Spec.ID, the container's name
	id   string // the container's id

	mu      sync.Mutex
	hj      *types.HijackedResponse
	pw      *io.PipeWriter
	copied  chan struct{} // closed when the output copier has ended
	pid     int           // the container's init process on the host, once known
	cgroup  string        // its memory cgroup, once known
	removed bool
}

// attach starts copying the container's multiplexed output stream into pw.
func (s *sandbox) attach(hj types.HijackedResponse, pw *io.PipeWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hj, s.pw, s.copied = &hj, pw, make(chan struct{})
	go func() {
		defer close(s.copied)
		_, err := stdcopy.StdCopy(pw, io.Discard, hj.Reader)
		pw.CloseWithError(err) // nil: the reader sees io.EOF
	}()
}

func (s *sandbox) ID() string { return s.name }

// initPID is the host pid of the container's init process, the probe.
func (s *sandbox) initPID(ctx context.Context) (int, error) {
	s.mu.Lock()
	pid := s.pid
	s.mu.Unlock()
	if pid != 0 {
		return pid, nil
	}
	info, err := s.cli.ContainerInspect(ctx, s.id)
	if err != nil {
		return 0, fmt.Errorf("inspect container: %w", daemonError(err))
	}
	if info.State == nil || !info.State.Running || info.State.Pid == 0 {
		status := "unknown"
		if info.State != nil {
			status = fmt.Sprintf("%s (exit code %d)", info.State.Status, info.State.ExitCode)
		}
		return 0, fmt.Errorf("container is not running: %s", status)
	}
	s.mu.Lock()
	s.pid = info.State.Pid
	s.mu.Unlock()
	return info.State.Pid, nil
}

// HostPIDs are the container's containerd shim, its init process (the
// probe) and the init process's descendants.
func (s *sandbox) HostPIDs(ctx context.Context) ([]int, error) {
	pid, err := s.initPID(ctx)
	if err != nil {
		return nil, fmt.Errorf("host pids of docker sandbox %s: %w", s.name, err)
	}
	pids, err := hostPIDs(pid)
	if err != nil {
		return nil, fmt.Errorf("host pids of docker sandbox %s: %w", s.name, err)
	}
	return pids, nil
}

// MemoryCgroup is the memory cgroup of the container's init process, as
// /proc/<pid>/cgroup and the mount table name it (cgroupfs driver, v1:
// /sys/fs/cgroup/memory/docker/<id>), or "" when it is in the root memory
// cgroup.
func (s *sandbox) MemoryCgroup(ctx context.Context) (string, error) {
	s.mu.Lock()
	cg := s.cgroup
	s.mu.Unlock()
	if cg != "" {
		return cg, nil
	}
	pid, err := s.initPID(ctx)
	if err != nil {
		return "", fmt.Errorf("memory cgroup of docker sandbox %s: %w", s.name, err)
	}
	cg, err = memstat.FindMemoryCgroup(pid)
	if errors.Is(err, memstat.ErrRootCgroup) {
		return "", nil // in the root memory cgroup: none of its own
	}
	if err != nil {
		return "", fmt.Errorf("memory cgroup of docker sandbox %s: %w", s.name, err)
	}
	s.mu.Lock()
	s.cgroup = cg
	s.mu.Unlock()
	return cg, nil
}

// Destroy removes the container (killing it first) with its anonymous
// volumes and closes the attach stream. A container already gone counts as
// removed; after one success Destroy does nothing.
func (s *sandbox) Destroy(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if !s.removed {
		err = s.cli.ContainerRemove(ctx, s.id, container.RemoveOptions{Force: true, RemoveVolumes: true})
		if err == nil || isNotFound(err) {
			s.removed, err = true, nil
		} else {
			err = fmt.Errorf("destroy docker sandbox %s: remove container %s: %w", s.name, s.id, daemonError(err))
		}
	}
	// The stream is closed even when removal failed: it is this process's
	// resource, and a later Destroy only needs the API.
	if s.hj != nil {
		s.hj.Close()
		s.pw.Close() // unblocks a copier blocked on an unread pipe
		select {
		case <-s.copied:
		case <-ctx.Done():
			err = errors.Join(err, fmt.Errorf("destroy docker sandbox %s: output copier still running: %w", s.name, ctx.Err()))
		}
		s.hj = nil
	}
	return err
}
