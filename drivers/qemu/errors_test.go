package qemu

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
)

// QEMU's stderr, recorded, types a failure of the process.
func TestQEMUFailureOnRecordedLogs(t *testing.T) {
	for _, c := range []struct {
		file    string
		noSpace bool
		killed  bool
	}{
		// Migration to `exec:cat > FILE` on a full tmpfs: cat's error
		// is in QEMU's stderr; QMP's error-desc says only "Broken pipe".
		{"log-migrate-enospc.txt", true, false},
		// SIGTERM to a running QEMU: it says so and exits 0.
		{"log-terminated-sigterm.txt", false, true},
	} {
		t.Run(c.file, func(t *testing.T) {
			log := string(readTestdata(t, c.file))
			err := qemuFailure(errors.New("migration failed: Unable to write to command: Broken pipe"), log, nil)
			if errors.Is(err, syscall.ENOSPC) != c.noSpace {
				t.Errorf("errors.Is(ENOSPC) = %v, want %v", !c.noSpace, c.noSpace)
			}
			if errors.Is(err, driver.ErrKilled) != c.killed {
				t.Errorf("errors.Is(ErrKilled) = %v, want %v", !c.killed, c.killed)
			}
			if terminatedBySignal(log) != c.killed {
				t.Errorf("terminatedBySignal = %v, want %v", !c.killed, c.killed)
			}
		})
	}
	if err := qemuFailure(errors.New("KVM internal error. Suberror: 1"), "qemu-system-x86_64: KVM internal error. Suberror: 1", nil); errors.Is(err, driver.ErrEnvironment) {
		t.Errorf("QEMU's own failure typed as the environment: %v", err)
	}
}

// A real QEMU process ended from outside: by SIGKILL (its exit status
// says so) and by SIGTERM (its stderr does).
func TestQEMUEndedFromOutsideIsKilled(t *testing.T) {
	bin, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Skip("no qemu-system-x86_64 here")
	}
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			logPath := filepath.Join(t.TempDir(), "qemu.log")
			logf, err := os.Create(logPath)
			if err != nil {
				t.Fatal(err)
			}
			defer logf.Close()
			cmd := exec.Command(bin, "-M", "none", "-display", "none", "-monitor", "none", "-serial", "none", "-S")
			cmd.Stderr = logf
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond) // past QEMU's signal set-up
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			waitErr := cmd.Wait()
			err = qemuFailure(errors.New("qemu exited during the migration"), fileTail(logPath, 500), waitErr)
			if !errors.Is(err, driver.ErrKilled) {
				t.Errorf("QEMU ended by %v (wait: %v, log %q): %v is not ErrKilled", sig, waitErr, fileTail(logPath, 500), err)
			}
		})
	}
}

// A connection retried until the deadline is a timeout; when its last
// attempt was refused, QEMU could not be reached, which wins.
func TestRetriedUntilTheDeadline(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "vm.qmp")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	for _, c := range []struct {
		path        string
		unreachable bool
	}{
		{stale, true},                           // the socket is there, nothing accepts
		{filepath.Join(dir, "none.qmp"), false}, // not created yet
	} {
		_, last := net.Dial("unix", c.path)
		if last == nil {
			t.Fatalf("dial %s succeeded", c.path)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 0)
		<-ctx.Done()
		err := retriedUntil(ctx, "connect qmp "+c.path, "last error", last)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%v: not a deadline", err)
		}
		if errors.Is(err, driver.ErrUnreachable) != c.unreachable {
			t.Errorf("%v: errors.Is(ErrUnreachable) = %v, want %v", err, !c.unreachable, c.unreachable)
		}
	}
}
