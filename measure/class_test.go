package measure

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/oci"
	"github.com/agentic-eval/agentic-eval/results"
)

// classCase is one error and the class Classify must give it.
type classCase struct {
	name string
	err  error
	want results.Class
}

// classCases are built from real error types, as the runtimes' clients
// produce them: real exec errors of real processes, *oci.Error with the
// recorded messages of real runtimes, the standard library's errors.
func classCases(t *testing.T) []classCase {
	t.Helper()
	read := func(path ...string) string {
		b, err := os.ReadFile(filepath.Join(path...))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	exitOf := func(script string) error {
		err := exec.Command("/bin/sh", "-c", script).Run()
		if err == nil {
			t.Fatalf("sh -c %q succeeded", script)
		}
		return err
	}
	killed, segv, exit1 := exitOf("kill -9 $$"), exitOf("kill -SEGV $$"), exitOf("exit 1")
	exit128 := exitOf("exit 128")

	// runc --log-format json, its pid file on a full tmpfs (recorded).
	runcFull := &oci.Error{Runtime: "runc", Command: "run", Message: oci.Message([]byte(read("..", "oci", "testdata", "runc-run-pidfile-enospc.jsonl"))), Err: exit1}
	// runsc checkpoint whose TMPDIR was a full tmpfs (recorded by a
	// gvisor/systrap run): the runtime's message as oci read it.
	recorded := read("testdata", "runsc-checkpoint-enospc.txt")
	_, msg, _ := strings.Cut(recorded, "runsc checkpoint: ")
	msg, _, _ = strings.Cut(msg, " (exit status 128)")
	runscFull := &oci.Error{Runtime: "runsc", Command: "checkpoint", Message: msg, Err: exit128}
	// Docker's CRIU failure on this kernel (recorded), as the daemon said it.
	criu := read("..", "drivers", "docker", "testdata", "checkpoint-criu-failed.txt")
	dockerGone := "Cannot connect to the Docker daemon at unix:///run/agentic-eval/dockerd.sock. Is the docker daemon running?"

	deadline, cancel := context.WithTimeout(context.Background(), 0)
	t.Cleanup(cancel)
	<-deadline.Done()
	timedOut := func(err error) error { return driver.TimedOut(deadline, err) }
	path := func(op string, errno syscall.Errno) error {
		return &fs.PathError{Op: op, Path: "/tmp/ae/x", Err: errno}
	}

	return []classCase{
		// Runtime: the runtime cannot do it here, or nothing says otherwise.
		{"nil", nil, results.ClassRuntime},
		{"runc refuses a checkpoint", &oci.Error{Runtime: "runc", Command: "checkpoint", Message: "criu failed: type NOTIFY errno 0", Err: exit1}, results.ClassRuntime},
		{"docker's criu failure, recorded", errors.New(criu), results.ClassRuntime},
		{"marked cannot", driver.Cannot(errors.New("crun does not checkpoint")), results.ClassRuntime},
		{"the runtime crashed on SIGSEGV", &oci.Error{Runtime: "runc", Command: "run", Err: segv}, results.ClassRuntime},
		{"qemu's broken pipe alone", errors.New("snapshot qemu vm ae-x-000001: migration failed: Unable to write to command: Broken pipe"), results.ClassRuntime},
		{"runc lost the errno of a full disk (recorded)", &oci.Error{Runtime: "runc", Command: "run", Message: oci.Message([]byte(read("..", "oci", "testdata", "runc-run-state-enospc-errno-lost.jsonl"))), Err: exit1}, results.ClassRuntime},

		// Environment that wins over a timeout.
		{"ENOSPC in the chain", fmt.Errorf("snapshot: %w", path("write", syscall.ENOSPC)), results.ClassEnvironment},
		{"EDQUOT in the chain", fmt.Errorf("snapshot: %w", path("write", syscall.EDQUOT)), results.ClassEnvironment},
		{"runc printed ENOSPC (recorded)", fmt.Errorf("start runc sandbox ae-x-000001: %w", runcFull), results.ClassEnvironment},
		{"runsc printed ENOSPC (recorded)", fmt.Errorf("snapshot gvisor/systrap sandbox ae-x-000004: %w", runscFull), results.ClassEnvironment},
		{"connection refused", fmt.Errorf("dial: %w", &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}), results.ClassEnvironment},
		{"daemon unreachable", fmt.Errorf("start ae-x-000003: %w", driver.Unreachable(errors.New(dockerGone))), results.ClassEnvironment},
		{"no space wins over a timeout", timedOut(fmt.Errorf("checkpoint: %w", path("write", syscall.ENOSPC))), results.ClassEnvironment},
		{"an unreachable daemon wins over a timeout", fmt.Errorf("%w: %w", deadline.Err(), driver.Unreachable(errors.New(dockerGone))), results.ClassEnvironment},
		{"a refused connection wins over a timeout", fmt.Errorf("%w: %w", deadline.Err(), syscall.ECONNREFUSED), results.ClassEnvironment},

		// Timeout.
		{"deadline", fmt.Errorf("start: %w", deadline.Err()), results.ClassTimeout},
		{"marked by TimedOut", timedOut(errors.New("wait for the probe: EOF")), results.ClassTimeout},
		{"oci command its deadline killed", &oci.Error{Runtime: "runc", Command: "create", TimedOut: true, Err: killed}, results.ClassTimeout},
		{"a timeout wins over a killed process", timedOut(driver.Killed(errors.New("qemu exited"))), results.ClassTimeout},
		{"a timeout wins over EIO", timedOut(path("read", syscall.EIO)), results.ClassTimeout},

		// Environment that a timeout wins over.
		{"killed from outside", fmt.Errorf("start: %w", &oci.Error{Runtime: "runc", Command: "run", Err: killed}), results.ClassEnvironment},
		{"marked killed", driver.Killed(errors.New("qemu exited during the migration")), results.ClassEnvironment},
		{"marked environment", driver.Environment(errors.New("the host's cgroup went away")), results.ClassEnvironment},
		{"EIO", fmt.Errorf("read: %w", path("read", syscall.EIO)), results.ClassEnvironment},
		{"EROFS", fmt.Errorf("sandbox dir: %w", path("mkdir", syscall.EROFS)), results.ClassEnvironment},
		{"EMFILE", fmt.Errorf("pipes: %w", path("open", syscall.EMFILE)), results.ClassEnvironment},
		{"ENFILE", fmt.Errorf("pipes: %w", path("open", syscall.ENFILE)), results.ClassEnvironment},
	}
}

func TestClassify(t *testing.T) {
	for _, tt := range classCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

// reworded is err under another message.
type reworded struct {
	msg string
	err error
}

func (r reworded) Error() string { return r.msg }
func (r reworded) Unwrap() error { return r.err }

// The class is the error's type, never its text: every case keeps its
// class under a message that says something else entirely, and a message
// that only says what used to decide a class decides nothing.
func TestClassifyIgnoresTheMessage(t *testing.T) {
	misleading := "no space left on device; Cannot connect to the Docker daemon. Is the docker daemon running?; " +
		"connection refused; context deadline exceeded (timed out); signal: killed; terminating on signal 15"
	for _, tt := range classCases(t) {
		if tt.err == nil {
			continue
		}
		for _, msg := range []string{"all is well", misleading} {
			err := reworded{msg, tt.err}
			if got := Classify(err); got != tt.want {
				t.Errorf("%s, reworded %q: Classify = %q, want %q", tt.name, msg, got, tt.want)
			}
		}
	}
	for _, text := range []string{
		"write /tmp/ae/checkpoint.img: no space left on device",
		"start ae-x-000003: Cannot connect to the Docker daemon at unix:///run/agentic-eval/dockerd.sock. Is the docker daemon running?",
		"dial unix /run/x.sock: connect: connection refused",
		"runsc checkpoint: signal: killed (timed out)",
		misleading,
	} {
		if got := Classify(errors.New(text)); got != results.ClassRuntime {
			t.Errorf("Classify(errors.New(%q)) = %q: text alone decided the class", text, got)
		}
	}
}

func TestClassScored(t *testing.T) {
	for c, want := range map[results.Class]bool{"": true, results.ClassRuntime: true, results.ClassEnvironment: false, results.ClassTimeout: false} {
		if c.Scored() != want {
			t.Errorf("%q.Scored() = %v, want %v", c, c.Scored(), want)
		}
	}
}

func TestFailClassifies(t *testing.T) {
	var vr results.VariantResult
	gone := driver.Unreachable(errors.New("Cannot connect to the Docker daemon at unix:///run/agentic-eval/dockerd.sock. Is the docker daemon running?"))
	recordFailure(&vr, results.PhaseSnapshot, "ae-x-000001", &fs.PathError{Op: "write", Path: "/tmp/s", Err: syscall.ENOSPC})
	recordFailure(&vr, results.PhaseSnapshot, "ae-x-000002", errors.New("criu failed: type DUMP errno 0"))
	recordFailure(&vr, results.PhaseStartLatency, "ae-x-000003", fmt.Errorf("start docker sandbox ae-x-000003: %w", gone))
	recordFailure(&vr, "teardown", "ae-x-000003", fmt.Errorf("destroy docker sandbox ae-x-000003: %w", gone))
	want := []struct {
		class       results.Class
		unreachable bool
	}{
		{results.ClassEnvironment, false},
		{results.ClassRuntime, false},
		{results.ClassEnvironment, true},
		{results.ClassEnvironment, true},
	}
	for i, w := range want {
		if f := vr.Failures[i]; f.Class != w.class || f.Unreachable != w.unreachable {
			t.Errorf("failure %d (%s): class %q, unreachable %v; want %q, %v", i, f.Cause, f.Class, f.Unreachable, w.class, w.unreachable)
		}
	}
	var res results.SnapshotResult
	snapshotFailed(&res, "snapshot failed on this host", &fs.PathError{Op: "write", Path: "/tmp/s", Err: syscall.ENOSPC})
	if res.CauseClass != results.ClassEnvironment || !strings.Contains(res.Cause, "no space left on device") {
		t.Errorf("snapshot cause %q (%q): want environment with the errno's text", res.Cause, res.CauseClass)
	}
}
