package qemu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/internal/sandboxio"
	"github.com/agentic-eval/agentic-eval/probe"
)

// A VM's files in its spec.Dir carry its ID, so that a sweep can tell
// whose they are: ID.qmp (the QMP socket), ID.pid, ID.log (QEMU's stderr),
// and for a guest on the image ID.qga (the guest agent's socket) and
// ID.console (the serial console, the kernel's and qemu-ga's messages).
const (
	qmpSuffix     = ".qmp"
	pidSuffix     = ".pid"
	logSuffix     = ".log"
	qgaSuffix     = ".qga"
	consoleSuffix = ".console"
	// quitGrace and termGrace bound each step of Destroy before the next,
	// harder one.
	quitGrace = 3 * time.Second
	termGrace = 2 * time.Second
)

// vm is one QEMU process and what belongs to it.
type vm struct {
	d   *Driver
	id  string
	dir string
	cfg bootConfig

	cmd    *exec.Cmd
	exited chan struct{} // closed once the process is reaped
	mon    *monitor
	ga     *guestAgent // on the image only

	// the host ends of the serial console pipes
	consoleOut *os.File
	consoleIn  *os.File
	log        *os.File

	mu        sync.Mutex
	destroyed bool
	waitErr   error
}

func (v *vm) qmpPath() string { return filepath.Join(v.dir, v.id+qmpSuffix) }
func (v *vm) pidPath() string { return filepath.Join(v.dir, v.id+pidSuffix) }
func (v *vm) logPath() string { return filepath.Join(v.dir, v.id+logSuffix) }
func (v *vm) qgaPath() string { return filepath.Join(v.dir, v.id+qgaSuffix) }
func (v *vm) consolePath() string {
	return filepath.Join(v.dir, v.id+consoleSuffix)
}

// files are every file of the VM in its directory.
func (v *vm) files() []string {
	return []string{v.qmpPath(), v.pidPath(), v.logPath(), v.qgaPath(), v.consolePath()}
}

// imageVM is a VM on the image: it also execs, through its guest agent.
type imageVM struct{ *vm }

// Exec runs the probe (/sandbox-probe in the guest) with args through the
// guest agent's guest-exec and returns its stdout.
func (v imageVM) Exec(ctx context.Context, args ...string) ([]byte, error) {
	v.mu.Lock()
	destroyed := v.destroyed
	v.mu.Unlock()
	if destroyed || v.ga == nil {
		return nil, fmt.Errorf("exec in qemu vm %s: it is destroyed", v.id)
	}
	select {
	case <-v.exited:
		return nil, fmt.Errorf("exec in qemu vm %s: qemu has exited", v.id)
	default:
	}
	out, err := v.ga.exec(ctx, "/sandbox-probe", args)
	if err != nil {
		return out, fmt.Errorf("exec in qemu vm %s through the guest agent: %w", v.id, err)
	}
	return out, nil
}

// sandbox is v as the harness sees it: an Execer when it runs the image.
func (v *vm) sandbox() driver.Sandbox {
	if v.cfg.Disk != "" {
		return imageVM{v}
	}
	return v
}

// Start boots a microvm guest whose /init is the probe. Without an image
// the probe talks on the serial console; on the image (spec.Image) it
// talks on a virtio-serial port, the serial console going to ID.console.
// Either channel is a pair of pipes handed to spec.Attach.
func (d *Driver) Start(ctx context.Context, spec driver.Spec) (driver.Sandbox, error) {
	disk := ""
	if !spec.Image.IsZero() {
		var err error
		if disk, err = d.disk(ctx, spec.Image); err != nil {
			return nil, fmt.Errorf("start qemu vm %s: %w", spec.ID, err)
		}
	}
	cfg, err := d.config(spec.Probe, spec.Args, disk)
	if err != nil {
		return nil, fmt.Errorf("start qemu vm %s: %w", spec.ID, err)
	}
	v, err := d.launch(ctx, spec, cfg, "")
	if err != nil {
		return nil, fmt.Errorf("start qemu vm %s: %w", spec.ID, err)
	}
	return v.sandbox(), nil
}

// args is QEMU's command line for cfg; incoming, when set, is the
// -incoming URI of a restore.
func (v *vm) args(incoming string) []string {
	a := []string{"-name", v.id, "-accel", string(v.cfg.Accel)}
	switch v.cfg.Accel {
	case KVM:
		a = append(a, "-cpu", "host")
	case TCG:
		// Every feature TCG emulates, as a guest on a real CPU would see:
		// on the default qemu64 model (no SSE4, no AVX) glibc and Python
		// take their baseline code paths, and a cold python3 in the guest
		// took 1.7 s against 0.6 s with max, here.
		a = append(a, "-cpu", "max")
	}
	a = append(a, machineFlags...)
	if v.cfg.Disk == "" {
		a = append(a,
			"-chardev", "stdio,id=console,signal=off",
			"-serial", "chardev:console")
	} else {
		a = append(a,
			"-chardev", "file,id=console,path="+v.consolePath(),
			"-serial", "chardev:console",
			"-device", "virtio-serial-device",
			"-chardev", "stdio,id=agent,signal=off",
			"-device", "virtserialport,chardev=agent,name="+probe.AgentPort,
			"-chardev", "socket,id=qga,path="+v.qgaPath()+",server=on,wait=off",
			"-device", "virtserialport,chardev=qga,name="+probe.GuestAgentPort,
			"-drive", "file="+v.cfg.Disk+",format=raw,if=none,id=image,readonly=on",
			"-device", "virtio-blk-device,drive=image")
	}
	a = append(a,
		"-kernel", v.cfg.Kernel,
		"-initrd", v.cfg.Initrd,
		"-append", v.cfg.Append,
		"-qmp", "unix:"+v.qmpPath()+",server=on,wait=off",
		"-pidfile", v.pidPath(),
	)
	if incoming != "" {
		a = append(a, "-incoming", incoming)
	}
	return a
}

// launch starts QEMU for spec and connects its QMP socket. On error it
// leaves nothing behind.
func (d *Driver) launch(ctx context.Context, spec driver.Spec, cfg bootConfig, incoming string) (_ *vm, err error) {
	if spec.ID == "" || spec.Dir == "" {
		return nil, errors.New("spec needs an ID and a Dir")
	}
	if strings.ContainsAny(spec.ID, "/,= \t\n") {
		return nil, fmt.Errorf("sandbox ID %q cannot name a VM and its files", spec.ID)
	}
	if spec.Attach == nil {
		return nil, errors.New("spec has no Attach")
	}
	if len(filepath.Join(spec.Dir, spec.ID+qmpSuffix)) >= 108 {
		return nil, fmt.Errorf("qmp socket path under %s is longer than a unix socket path may be", spec.Dir)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// A VM of that name runs already: refuse before anything is made, so
	// that the clean-up of a failed launch cannot end the live one.
	running, err := findQEMUProcesses(spec.ID)
	if err != nil {
		return nil, err
	}
	for _, p := range running {
		if p.name == spec.ID {
			return nil, fmt.Errorf("a QEMU VM named %s runs already (pid %d)", spec.ID, p.pid)
		}
	}
	v := &vm{d: d, id: spec.ID, dir: spec.Dir, cfg: cfg, exited: make(chan struct{})}
	d.track(v)
	defer func() {
		if err != nil {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), quitGrace+termGrace+5*time.Second)
			defer cancel()
			if derr := v.Destroy(dctx); derr != nil {
				err = errors.Join(err, derr)
			}
		}
	}()

	// Leftovers of an earlier sandbox with this directory would confuse
	// QMP, the guest agent and the pid file.
	for _, p := range v.files() {
		if p != v.logPath() {
			os.Remove(p)
		}
	}
	if cfg.Disk != "" {
		v.ga = &guestAgent{path: v.qgaPath()}
	}

	pipes, err := sandboxio.NewPipes()
	if err != nil {
		return v, fmt.Errorf("console: %w", err)
	}
	v.consoleIn, v.consoleOut = pipes.In, pipes.Out
	logf, err := os.OpenFile(v.logPath(), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		pipes.CloseChildEnds()
		return v, fmt.Errorf("qemu log: %w", err)
	}
	v.log = logf

	// The VM outlives ctx: it is not a CommandContext.
	cmd := exec.Command(cfg.QEMU, v.args(incoming)...)
	cmd.Dir = spec.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pipes.Stdin, pipes.Stdout, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,            // a terminal's ^C is the harness's to handle
		Pdeathsig: syscall.SIGKILL, // a VM never outlives its harness
	}
	v.cmd = cmd

	spec.Attach(pipes.Out, pipes.In)
	startErr := cmd.Start()
	pipes.CloseChildEnds()
	if startErr != nil {
		close(v.exited)
		return v, fmt.Errorf("run %s: %w", cfg.QEMU, startErr)
	}
	go func() {
		err := cmd.Wait()
		v.mu.Lock()
		v.waitErr = err
		v.mu.Unlock()
		close(v.exited)
	}()

	mon, err := dialQMP(ctx, v.qmpPath(), v.exited)
	if err != nil {
		return v, v.withLog(err)
	}
	v.mon = mon
	return v, nil
}

// withLog adds the tail of QEMU's stderr, and of the guest's serial
// console when it has one of its own, to err, typed by what QEMU printed
// and how it ended (qemuFailure; the guest's console is the guest's, and
// types nothing).
func (v *vm) withLog(err error) error {
	log := fileTail(v.logPath(), 500)
	if log != "" {
		err = fmt.Errorf("%w; qemu says: %s", err, log)
	}
	var waitErr error
	select {
	case <-v.exited:
		v.mu.Lock()
		waitErr = v.waitErr
		v.mu.Unlock()
	default:
	}
	err = qemuFailure(err, log, waitErr)
	if v.cfg.Disk != "" {
		if s := fileTail(v.consolePath(), 500); s != "" {
			err = fmt.Errorf("%w; the guest's console: %s", err, s)
		}
	}
	return err
}

// fileTail is the last n bytes of a small regular file, trimmed.
func fileTail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	off := max(fi.Size()-n, 0)
	b := make([]byte, fi.Size()-off)
	k, _ := f.ReadAt(b, off)
	s := strings.TrimSpace(string(b[:k]))
	if off > 0 {
		s = "..." + s
	}
	return s
}

// ID is the spec's ID, which is also QEMU's -name.
func (v *vm) ID() string { return v.id }

// HostPIDs is the QEMU process: the guest, its kernel and the probe all
// live in it.
func (v *vm) HostPIDs(ctx context.Context) ([]int, error) {
	if v.cmd == nil || v.cmd.Process == nil {
		return nil, fmt.Errorf("qemu vm %s: not started", v.id)
	}
	select {
	case <-v.exited:
		return nil, fmt.Errorf("qemu vm %s: process %d has exited", v.id, v.cmd.Process.Pid)
	default:
	}
	return []int{v.cmd.Process.Pid}, nil
}

// MemoryCgroup is "": QEMU runs in the harness's cgroup.
func (v *vm) MemoryCgroup(ctx context.Context) (string, error) { return "", nil }

// Status asks QEMU the VM's run state over QMP.
func (v *vm) Status(ctx context.Context) (string, error) {
	if v.mon == nil {
		return "", fmt.Errorf("qemu vm %s: %w", v.id, errNoMonitor)
	}
	s, err := v.mon.queryStatus(ctx)
	if err != nil {
		return "", fmt.Errorf("qemu vm %s: %w", v.id, err)
	}
	return s.Status, nil
}

// Destroy ends QEMU from the host (QMP quit, then SIGTERM, then SIGKILL,
// each after a grace period), reaps it and removes its socket, pid file and
// log (errors have already quoted the log).
// It is idempotent and bounded by ctx.
func (v *vm) Destroy(ctx context.Context) error {
	v.mu.Lock()
	if v.destroyed {
		v.mu.Unlock()
		return nil
	}
	v.mu.Unlock()

	var errs []error
	if v.cmd != nil && v.cmd.Process != nil {
		if err := v.stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if v.mon != nil {
		v.mon.close()
	}
	if v.ga != nil {
		v.ga.close()
	}
	for _, f := range []*os.File{v.consoleIn, v.consoleOut, v.log} {
		if f != nil {
			f.Close() // may already be closed by the harness's stream
		}
	}
	for _, p := range v.files() {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove %s: %w", p, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("destroy qemu vm %s: %w", v.id, errors.Join(errs...))
	}
	v.mu.Lock()
	v.destroyed = true
	v.mu.Unlock()
	v.d.untrack(v)
	return nil
}

// stop ends the QEMU process and waits until it is reaped.
func (v *vm) stop(ctx context.Context) error {
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-v.exited:
			return true
		case <-t.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
	select {
	case <-v.exited:
		return nil
	default:
	}
	if v.mon != nil {
		qctx, cancel := context.WithTimeout(ctx, quitGrace)
		// QEMU may close the socket before it answers: the process's end is
		// the proof, not the reply.
		_ = v.mon.exec(qctx, "quit", nil)
		cancel()
		if wait(quitGrace) {
			return nil
		}
	}
	pid := v.cmd.Process.Pid
	if err := v.cmd.Process.Signal(syscall.SIGTERM); err == nil {
		if wait(termGrace) {
			return nil
		}
	}
	if err := v.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill qemu pid %d: %w", pid, err)
	}
	select {
	case <-v.exited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("qemu pid %d killed but not yet reaped: %w", pid, ctx.Err())
	}
}
