package oci

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
)

// DefaultCommandTimeout bounds a runtime command whose context has no
// earlier deadline: no call waits on a runtime without one.
const DefaultCommandTimeout = 30 * time.Second

// Runtime is one OCI runtime binary (runc, crun, runsc) driven through its
// command line, the way containerd's go-runc drives one: a binary, a state
// root, global flags. Every runtime the project drives accepts the same
// sub-commands with the same flags for what the harness needs; where one
// spells a flag its own way, the field that says so is here.
type Runtime struct {
	// Name names the runtime in errors ("runc", "crun", "runsc").
	Name string
	// Binary is the executable's path.
	Binary string
	// Root is the state root (--root).
	Root string
	// Flags are further global flags, after --root.
	Flags []string
	// Wrapper, when set, is a command line that runs the runtime: the
	// runtime's own argv is appended to it. crun needs one on hybrid
	// cgroup hosts (a private mount namespace without the cgroup2 mount).
	Wrapper []string
	// ExecPidFileFlag is the exec sub-command's flag that writes the
	// process's host pid: "--pid-file" (runc, crun) unless set
	// ("--internal-pid-file" for runsc).
	ExecPidFileFlag string
}

// argv is the whole command line for args.
func (r *Runtime) argv(args []string) []string {
	a := make([]string, 0, len(r.Wrapper)+3+len(r.Flags)+len(args))
	a = append(a, r.Wrapper...)
	a = append(a, r.Binary)
	if r.Root != "" {
		a = append(a, "--root", r.Root)
	}
	a = append(a, r.Flags...)
	return append(a, args...)
}

// Command is the runtime command for args, not started. Its WaitDelay
// keeps a runtime whose children hold its pipes from blocking Wait
// forever.
func (r *Runtime) Command(ctx context.Context, args ...string) *exec.Cmd {
	a := r.argv(args)
	cmd := exec.CommandContext(ctx, a[0], a[1:]...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Run runs the runtime with args and returns its stdout. Its failure is an
// *Error with the runtime's own message. Without a deadline in ctx it gets
// DefaultCommandTimeout.
func (r *Runtime) Run(ctx context.Context, args ...string) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultCommandTimeout)
		defer cancel()
	}
	return r.capture(ctx, args)
}

// capture runs the runtime with args, bounded by ctx alone, and returns its
// stdout; a failure carries its stderr's message.
func (r *Runtime) capture(ctx context.Context, args []string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := r.Command(ctx, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), r.error(ctx, args, stderr.Bytes(), err)
	}
	return stdout.Bytes(), nil
}

func (r *Runtime) error(ctx context.Context, args []string, stderr []byte, err error) *Error {
	e := &Error{Runtime: r.Name, Command: subcommand(args), Message: Message(stderr), Err: err}
	if ctx.Err() == context.DeadlineExceeded {
		e.TimedOut = true
	}
	return e
}

// Stdio are the standard streams of a detached launch. Stderr must be a
// regular file for runtimes that detach (a pipe there would keep Wait
// waiting on the sandbox that inherits it); its contents explain a failure.
type Stdio struct {
	Stdin, Stdout *os.File
	Stderr        *os.File
}

// Launch runs a sub-command that detaches once the container runs (`run
// --detach`, `restore --detach`) with dir as its working directory and the
// given streams, which the container inherits. On failure the error is an
// *Error carrying what the runtime wrote to Stderr.
func (r *Runtime) Launch(ctx context.Context, dir string, io Stdio, args ...string) error {
	cmd := r.Command(ctx, args...)
	cmd.Dir = dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = io.Stdin, io.Stdout, io.Stderr
	if err := cmd.Run(); err != nil {
		var msg []byte
		if io.Stderr != nil {
			msg, _ = os.ReadFile(io.Stderr.Name())
		}
		return r.error(ctx, args, msg, err)
	}
	return nil
}

// State is `state ID`.
func (r *Runtime) State(ctx context.Context, id string) (State, error) {
	out, err := r.Run(ctx, "state", id)
	if err != nil {
		return State{}, err
	}
	return ParseState(r.Name, out)
}

// List is `list --format json`: the containers under the root. runc lists
// by reading each container's state directory, and fails outright when one
// disappears between its readdir and its stat (another run on the host
// deleting its container): that race is retried, a few times, with a pause.
func (r *Runtime) List(ctx context.Context) ([]State, error) {
	for attempt := 0; ; attempt++ {
		out, err := r.Run(ctx, "list", "--format", "json")
		if err == nil {
			return ParseList(r.Name, out)
		}
		if attempt >= 4 || !strings.Contains(err.Error(), "no such file or directory") || ctx.Err() != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Kill is `kill ID SIGNAL`.
func (r *Runtime) Kill(ctx context.Context, id, signal string) error {
	_, err := r.Run(ctx, "kill", id, signal)
	return err
}

// KillPID is runsc's `kill --pid=PID ID SIGNAL`: one process in the
// container.
func (r *Runtime) KillPID(ctx context.Context, id string, pid int, signal string) error {
	_, err := r.Run(ctx, "kill", "--pid="+strconv.Itoa(pid), id, signal)
	return err
}

// Delete is `delete --force ID`. A container that does not exist is
// deleted already: that is no error.
func (r *Runtime) Delete(ctx context.Context, id string) error {
	_, err := r.Run(ctx, "delete", "--force", id)
	if IsNotExist(err) {
		return nil
	}
	return err
}

// Resume is `resume ID`.
func (r *Runtime) Resume(ctx context.Context, id string) error {
	_, err := r.Run(ctx, "resume", id)
	return err
}

// Exec is `exec --pid-file FILE ID ARGV...`: it runs argv in the container
// and returns its stdout. pidFile receives the process's host pid, so that
// a caller whose ctx ended can kill it.
func (r *Runtime) Exec(ctx context.Context, id, pidFile string, argv ...string) ([]byte, error) {
	flag := r.ExecPidFileFlag
	if flag == "" {
		flag = "--pid-file"
	}
	return r.capture(ctx, append([]string{"exec", flag + "=" + pidFile, id}, argv...))
}

// CheckpointOpts are the options of checkpoint and restore.
type CheckpointOpts struct {
	ImagePath string // where the state is written, or read from
	// WorkPath is CRIU's work and log directory (runc, crun); "" for
	// runtimes that checkpoint without CRIU (runsc).
	WorkPath string
}

func (o CheckpointOpts) args() []string {
	a := []string{"--image-path=" + o.ImagePath}
	if o.WorkPath != "" {
		a = append(a, "--work-path="+o.WorkPath)
	}
	return a
}

// Checkpoint is `checkpoint --image-path DIR [--work-path DIR] ID`.
func (r *Runtime) Checkpoint(ctx context.Context, id string, o CheckpointOpts) error {
	args := append(append([]string{"checkpoint"}, o.args()...), id)
	_, err := r.Run(ctx, args...)
	return err
}

// RestoreArgs are the arguments of a detached restore of id from o with
// bundle, for Launch.
func RestoreArgs(id, bundle string, o CheckpointOpts) []string {
	return append(append([]string{"restore", "--detach"}, o.args()...), "--bundle", bundle, id)
}

// RunArgs are the arguments of a detached run of id from bundle, for
// Launch.
func RunArgs(id, bundle string) []string {
	return []string{"run", "--detach", "--bundle", bundle, id}
}

// Error is a failed runtime command with the runtime's own message.
type Error struct {
	Runtime string // "runc", "crun", "runsc"
	Command string // the sub-command
	Message string // what the runtime said, "" if nothing
	// TimedOut is set when the command's deadline ended it.
	TimedOut bool
	Err      error // the exec error (exit status, signal, context)
}

func (e *Error) Error() string {
	s := e.Runtime + " " + e.Command + ": "
	if e.Message != "" {
		s += e.Message + " (" + e.Err.Error() + ")"
	} else {
		s += e.Err.Error()
	}
	if e.TimedOut {
		s += " (timed out)"
	}
	return s
}

// Unwrap is the exec error and what the failure is, typed where the
// runtime's output is read: the errno whose C library text the runtime
// printed (driver.PrintedKinds: "no space left on device" is
// syscall.ENOSPC), context.DeadlineExceeded when the command's deadline
// ended it, and driver.ErrKilled when a signal from outside killed the
// runtime's process without a deadline (driver.KilledFromOutside).
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	errs = append(errs, driver.PrintedKinds(e.Message)...)
	switch {
	case e.TimedOut:
		errs = append(errs, context.DeadlineExceeded)
	case driver.KilledFromOutside(e.Err):
		errs = append(errs, driver.ErrKilled)
	}
	return errs
}

// IsNotExist reports whether err is a runtime saying the container does
// not exist.
func IsNotExist(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	m := strings.ToLower(e.Message)
	return strings.Contains(m, "does not exist") || strings.Contains(m, "no such file or directory") ||
		strings.Contains(m, "not found")
}

// Message extracts a runtime's error message from its stderr: the msg of
// error-level JSON log lines (runc --log-format json), else the last few
// non-empty lines of text, bounded.
func Message(stderr []byte) string {
	var msgs, text []string
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "{") {
			var l struct {
				Level string `json:"level"`
				Msg   string `json:"msg"`
			}
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg != "" {
				if l.Level == "error" || l.Level == "fatal" {
					msgs = append(msgs, l.Msg)
				}
				continue
			}
		}
		text = append(text, line)
	}
	if len(msgs) > 0 {
		return bound(strings.Join(msgs, "; "))
	}
	if len(text) > 3 {
		text = text[len(text)-3:]
	}
	return bound(strings.Join(text, "; "))
}

func bound(s string) string {
	const n = 600
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func subcommand(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return strings.Join(args, " ")
}
