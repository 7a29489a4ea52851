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
	"github.com/agentic-eval/agentic-eval/results"

	"github.com/agentic-eval/agentic-eval/oci"
)

func TestClassify(t *testing.T) {
	criu, err := os.ReadFile(filepath.Join("..", "drivers", "docker", "testdata", "checkpoint-criu-failed.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// Recorded by a gvisor/systrap run whose TMPDIR was a full tmpfs.
	runscFull, err := os.ReadFile(filepath.Join("testdata", "runsc-checkpoint-enospc.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// A real exec error of a process killed by SIGKILL.
	killed := exec.Command("/bin/sh", "-c", "kill -9 $$").Run()
	if killed == nil {
		t.Fatal("sh survived kill -9")
	}
	deadline, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-deadline.Done()
	tests := []struct {
		name string
		err  error
		want results.Class
	}{
		{"nil", nil, results.ClassRuntime},
		{"criu failure recorded from docker", errors.New(strings.TrimSpace(string(criu))), results.ClassRuntime},
		{"runc refuses", &oci.Error{Runtime: "runc", Command: "checkpoint", Message: "criu failed: type NOTIFY errno 0", Err: errors.New("exit status 1")}, results.ClassRuntime},
		{"qemu broken pipe alone", errors.New("snapshot qemu vm ae-x-000001: migration failed: Unable to write to command: Broken pipe"), results.ClassRuntime},
		{"runsc checkpoint on a full TMPDIR, recorded", errors.New(strings.TrimSpace(string(runscFull))), results.ClassEnvironment},
		{"ENOSPC in the chain", fmt.Errorf("snapshot: %w", &fs.PathError{Op: "write", Path: "/tmp/x/state.mig", Err: syscall.ENOSPC}), results.ClassEnvironment},
		{"EDQUOT in the chain", fmt.Errorf("snapshot: %w", &fs.PathError{Op: "write", Path: "/tmp/x", Err: syscall.EDQUOT}), results.ClassEnvironment},
		{"no space in a runtime's text", &oci.Error{Runtime: "runsc", Command: "checkpoint", Message: "write /tmp/ae/checkpoint.img: no space left on device", Err: errors.New("exit status 128")}, results.ClassEnvironment},
		{"docker daemon gone", errors.New("start ae-x-000003: Cannot connect to the Docker daemon at unix:///run/agentic-eval/dockerd.sock. Is the docker daemon running?"), results.ClassEnvironment},
		{"connection refused errno", fmt.Errorf("dial: %w", &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}), results.ClassEnvironment},
		{"connection refused text", errors.New("dial unix /run/x.sock: connect: connection refused"), results.ClassEnvironment},
		{"killed from outside", fmt.Errorf("runc run: %w", killed), results.ClassEnvironment},
		{"file system error", fmt.Errorf("sandbox dir: %w", &fs.PathError{Op: "mkdir", Path: "/tmp/x", Err: syscall.EROFS}), results.ClassEnvironment},
		{"io error", fmt.Errorf("read: %w", &fs.PathError{Op: "read", Path: "/tmp/x", Err: syscall.EIO}), results.ClassEnvironment},
		{"deadline", fmt.Errorf("start: %w", deadline.Err()), results.ClassTimeout},
		{"marked by timeoutCause", driver.TimedOut(deadline, errors.New("wait for the probe: EOF")), results.ClassTimeout},
		{"oci timed out", &oci.Error{Runtime: "runc", Command: "create", TimedOut: true, Err: killed}, results.ClassTimeout},
		{"timeout text", errors.New("runsc checkpoint: signal: killed (timed out)"), results.ClassTimeout},
		{"no space wins over a timeout", fmt.Errorf("%w: %w", deadline.Err(), syscall.ENOSPC), results.ClassEnvironment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
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
	recordFailure(&vr, results.PhaseSnapshot, "ae-x-000001", &fs.PathError{Op: "write", Path: "/tmp/s", Err: syscall.ENOSPC})
	recordFailure(&vr, results.PhaseSnapshot, "ae-x-000002", errors.New("criu failed: type DUMP errno 0"))
	if vr.Failures[0].Class != results.ClassEnvironment || vr.Failures[1].Class != results.ClassRuntime {
		t.Errorf("classes %q, %q: want environment, runtime", vr.Failures[0].Class, vr.Failures[1].Class)
	}
	var res results.SnapshotResult
	snapshotFailed(&res, "snapshot failed on this host", &fs.PathError{Op: "write", Path: "/tmp/s", Err: syscall.ENOSPC})
	if res.CauseClass != results.ClassEnvironment || !strings.Contains(res.Cause, "no space left on device") {
		t.Errorf("snapshot cause %q (%q): want environment with the errno's text", res.Cause, res.CauseClass)
	}
}
