package driver

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"testing"
)

func TestKindsAreEnvironmentOrNot(t *testing.T) {
	base := errors.New("dial unix /run/x.sock: connect: no such file or directory")
	for _, c := range []struct {
		name        string
		err         error
		environment bool
		kind        error
	}{
		{"unreachable", Unreachable(base), true, ErrUnreachable},
		{"killed", Killed(base), true, ErrKilled},
		{"environment", Environment(base), true, ErrEnvironment},
		{"cannot", Cannot(base), false, ErrCannot},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !errors.Is(c.err, c.kind) || !errors.Is(c.err, base) {
				t.Errorf("%v: not its kind and its cause", c.err)
			}
			if errors.Is(c.err, ErrEnvironment) != c.environment {
				t.Errorf("Is(ErrEnvironment) = %v, want %v", !c.environment, c.environment)
			}
			if c.err.Error() != base.Error() {
				t.Errorf("marking changed the message: %q", c.err)
			}
		})
	}
}

func TestPrintedTypesTheErrnoARuntimePrinted(t *testing.T) {
	for _, c := range []struct {
		printed string
		want    []error // nil: err comes back as it was
	}{
		{"runc run failed: write /tmp/ae-full/.ae.pid: no space left on device", []error{syscall.ENOSPC}},
		{"cat: write error: No space left on device", []error{syscall.ENOSPC}},
		{"open /x: Disk quota exceeded", []error{syscall.EDQUOT}},
		{"read /dev/vda: input/output error", []error{syscall.EIO}},
		{"mkdir /run/x: read-only file system", []error{syscall.EROFS}},
		{"accept: too many open files", []error{syscall.EMFILE}},
		{"dial unix /run/containerd/containerd.sock: connect: connection refused", []error{syscall.ECONNREFUSED, ErrUnreachable}},
		{"criu failed: type NOTIFY errno 0", nil},
		{"container does not exist", nil},
		{"", nil},
	} {
		t.Run(c.printed, func(t *testing.T) {
			exit := errors.New("exit status 1")
			err := Printed(exit, c.printed)
			if c.want == nil && err != exit {
				t.Errorf("Printed(%q) = %v, want the error unchanged", c.printed, err)
			}
			for _, k := range c.want {
				if !errors.Is(err, k) {
					t.Errorf("Printed(%q) is not %v", c.printed, k)
				}
			}
			if err.Error() != exit.Error() || !errors.Is(err, exit) {
				t.Errorf("Printed changed the error: %q", err)
			}
		})
	}
	if Printed(nil, "no space left on device") != nil {
		t.Error("Printed(nil) is not nil")
	}
}

// Real processes, ended each way: only a signal from outside is a
// process killed.
func TestKilledFromOutsideOnlyForSignalsSentToTheProcess(t *testing.T) {
	for _, c := range []struct {
		script string
		want   bool
	}{
		{"kill -KILL $$", true},
		{"kill -TERM $$", true},
		{"kill -INT $$", true},
		{"kill -HUP $$", true},
		{"kill -SEGV $$", false},
		{"kill -ABRT $$", false},
		{"exit 1", false},
		{"exit 137", false}, // the status a shell reports for a killed child, but an exit
	} {
		t.Run(c.script, func(t *testing.T) {
			err := exec.Command("/bin/sh", "-c", c.script).Run()
			if err == nil {
				t.Fatal("sh succeeded")
			}
			if got := KilledFromOutside(fmt.Errorf("runc run: %w", err)); got != c.want {
				t.Errorf("KilledFromOutside(%v) = %v, want %v", err, got, c.want)
			}
		})
	}
	if KilledFromOutside(context.DeadlineExceeded) || KilledFromOutside(nil) {
		t.Error("an error of no process taken for a killed one")
	}
}
