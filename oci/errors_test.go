package oci

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
)

// What a runtime printed types its *Error: the errno of the C library text
// in its message, nothing when the message names none (runc 1.1.5 loses
// the errno of a failed state write: it prints "%!w(<nil>)", and nothing
// is guessed).
func TestErrorIsTheErrnoTheRuntimePrinted(t *testing.T) {
	for _, c := range []struct {
		file  string
		errno syscall.Errno // 0: none
	}{
		// runc --log-format json run -d --pid-file on a full tmpfs.
		{"runc-run-pidfile-enospc.jsonl", syscall.ENOSPC},
		// runc --root on a full tmpfs: the errno is lost in runc.
		{"runc-run-state-enospc-errno-lost.jsonl", 0},
		{"error-does-not-exist.jsonl", 0},
		{"runsc-kill-missing.txt", 0},
		{"crun-state-missing.txt", 0},
	} {
		t.Run(c.file, func(t *testing.T) {
			e := &Error{Runtime: "runc", Command: "run", Message: Message(readTestdata(t, c.file)), Err: errors.New("exit status 1")}
			for _, errno := range driver.EnvironmentErrnos {
				if errors.Is(e, errno) != (errno == c.errno) {
					t.Errorf("errors.Is(%q, %v) = %v", e.Message, errno, !(errno == c.errno))
				}
			}
			if errors.Is(e, driver.ErrKilled) || errors.Is(e, context.DeadlineExceeded) {
				t.Errorf("%v: killed or timed out, from its message alone", e)
			}
		})
	}
}

func standIn(t *testing.T) *Runtime {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	return &Runtime{Name: "stand-in", Binary: sh}
}

// The stand-in runtime is sh; how its process ends types the error.
func TestErrorSaysHowTheRuntimeProcessEnded(t *testing.T) {
	recorded := string(readTestdata(t, "runc-run-pidfile-enospc.jsonl"))
	for _, c := range []struct {
		name, script     string
		deadline         time.Duration
		killed, timedOut bool
		noSpace          bool
	}{
		{name: "killed by SIGKILL from outside", script: "kill -9 $$", killed: true},
		{name: "terminated by SIGTERM from outside", script: "kill -TERM $$", killed: true},
		{name: "crashed on SIGSEGV: the runtime's own failure", script: "kill -SEGV $$"},
		{name: "exited 1", script: "echo 'container does not exist' >&2; exit 1"},
		{name: "killed by its deadline: a timeout, not a kill", script: "exec sleep 30", deadline: 200 * time.Millisecond, timedOut: true},
		{name: "replays runc's recorded ENOSPC", script: "printf '%s\\n' \"$0\" >&2; exit 1", noSpace: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			if c.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, c.deadline)
				defer cancel()
			}
			args := []string{"-c", c.script}
			if c.noSpace {
				args = append(args, recorded)
			}
			_, err := standIn(t).Run(ctx, args...)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Run: %v, want an *Error", err)
			}
			if got := errors.Is(err, driver.ErrKilled); got != c.killed {
				t.Errorf("errors.Is(%v, ErrKilled) = %v, want %v", err, got, c.killed)
			}
			if got := errors.Is(err, context.DeadlineExceeded); got != c.timedOut {
				t.Errorf("errors.Is(%v, DeadlineExceeded) = %v, want %v", err, got, c.timedOut)
			}
			if got := errors.Is(err, syscall.ENOSPC); got != c.noSpace {
				t.Errorf("errors.Is(%v, ENOSPC) = %v, want %v", err, got, c.noSpace)
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Errorf("%v: the exec error is no longer in the chain", err)
			}
		})
	}
}

// A detached launch reads the runtime's message from its stderr file: the
// same typing applies.
func TestLaunchTypesTheMessageInTheStderrFile(t *testing.T) {
	dir := t.TempDir()
	stderr, err := os.Create(filepath.Join(dir, "runc-run.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	recorded := string(readTestdata(t, "runc-run-pidfile-enospc.jsonl"))
	err = standIn(t).Launch(context.Background(), dir, Stdio{Stderr: stderr}, "-c", "printf '%s\\n' \"$0\" >&2; exit 1", recorded)
	var e *Error
	if !errors.As(err, &e) || e.Message != "runc run failed: write /tmp/ae-full/.ae.pid: no space left on device" {
		t.Fatalf("Launch: %v, want runc's recorded message", err)
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("%v is not ENOSPC", err)
	}
}
