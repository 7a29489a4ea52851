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
		want Class
	}{
		{"nil", nil, ClassRuntime},
		{"criu failure recorded from docker", errors.New(strings.TrimSpace(string(criu))), ClassRuntime},
		{"runc refuses", &oci.Error{Runtime: "runc", Command: "checkpoint", Message: "criu failed: type NOTIFY errno 0", Err: errors.New("exit status 1")}, ClassRuntime},
		{"qemu broken pipe alone", errors.New("snapshot qemu vm ae-x-000001: migration failed: Unable to write to command: Broken pipe"), ClassRuntime},
		{"runsc checkpoint on a full TMPDIR, recorded", errors.New(strings.TrimSpace(string(runscFull))), ClassEnvironment},
		{"ENOSPC in the chain", fmt.Errorf("snapshot: %w", &fs.PathError{Op: "write", Path: "/tmp/x/state.mig", Err: syscall.ENOSPC}), ClassEnvironment},
		{"EDQUOT in the chain", fmt.Errorf("snapshot: %w", &fs.PathError{Op: "write", Path: "/tmp/x", Err: syscall.EDQUOT}), ClassEnvironment},
		{"no space in a runtime's text", &oci.Error{Runtime: "runsc", Command: "checkpoint", Message: "write /tmp/ae/checkpoint.img: no space left on device", Err: errors.New("exit status 128")}, ClassEnvironment},
		{"docker daemon gone", errors.New("start ae-x-000003: Cannot connect to the Docker daemon at unix:///run/agentic-eval/dockerd.sock. Is the docker daemon running?"), ClassEnvironment},
		{"connection refused errno", fmt.Errorf("dial: %w", &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}), ClassEnvironment},
		{"connection refused text", errors.New("dial unix /run/x.sock: connect: connection refused"), ClassEnvironment},
		{"killed from outside", fmt.Errorf("runc run: %w", killed), ClassEnvironment},
		{"file system error", fmt.Errorf("sandbox dir: %w", &fs.PathError{Op: "mkdir", Path: "/tmp/x", Err: syscall.EROFS}), ClassEnvironment},
		{"io error", fmt.Errorf("read: %w", &fs.PathError{Op: "read", Path: "/tmp/x", Err: syscall.EIO}), ClassEnvironment},
		{"deadline", fmt.Errorf("start: %w", deadline.Err()), ClassTimeout},
		{"marked by timeoutCause", timeoutCause(deadline, errors.New("wait for the probe: EOF")), ClassTimeout},
		{"oci timed out", &oci.Error{Runtime: "runc", Command: "create", TimedOut: true, Err: killed}, ClassTimeout},
		{"timeout text", errors.New("runsc checkpoint: signal: killed (timed out)"), ClassTimeout},
		{"no space wins over a timeout", fmt.Errorf("%w: %w", deadline.Err(), syscall.ENOSPC), ClassEnvironment},
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
	for c, want := range map[Class]bool{"": true, ClassRuntime: true, ClassEnvironment: false, ClassTimeout: false} {
		if c.Scored() != want {
			t.Errorf("%q.Scored() = %v, want %v", c, c.Scored(), want)
		}
	}
}

func TestFailClassifies(t *testing.T) {
	var vr VariantResult
	vr.fail(PhaseSnapshot, "ae-x-000001", &fs.PathError{Op: "write", Path: "/tmp/s", Err: syscall.ENOSPC})
	vr.fail(PhaseSnapshot, "ae-x-000002", errors.New("criu failed: type DUMP errno 0"))
	if vr.Failures[0].Class != ClassEnvironment || vr.Failures[1].Class != ClassRuntime {
		t.Errorf("classes %q, %q: want environment, runtime", vr.Failures[0].Class, vr.Failures[1].Class)
	}
	var res SnapshotResult
	res.failed("snapshot failed on this host", &fs.PathError{Op: "write", Path: "/tmp/s", Err: syscall.ENOSPC})
	if res.CauseClass != ClassEnvironment || !strings.Contains(res.Cause, "no space left on device") {
		t.Errorf("snapshot cause %q (%q): want environment with the errno's text", res.Cause, res.CauseClass)
	}
}
