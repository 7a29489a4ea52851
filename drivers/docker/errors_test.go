package docker

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/agentic-eval/agentic-eval/driver"
)

// noDaemon are daemon addresses where no dockerd answers: a socket path
// where nothing exists, and a socket file nothing listens on any more (a
// daemon that died without removing it).
func noDaemon(t *testing.T) map[string]string {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	return map[string]string{
		"no socket":                      "unix://" + filepath.Join(dir, "none.sock"),
		"a socket nothing listens on":    "unix://" + stale,
		"the path the task names (/tmp)": "unix:///tmp/x/none.sock",
	}
}

// Every operation of a driver whose daemon cannot be reached fails with
// driver.ErrUnreachable, through the API client's own connection failure
// (errConnectionFailed) and through the hijacked streams (attach), whose
// dial the client does not wrap.
func TestUnreachableDaemonIsErrUnreachable(t *testing.T) {
	for name, host := range noDaemon(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			d := NewWithHost(host)
			cli, err := d.client()
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			// The state Prepare would leave, so that Start reaches the API.
			d.runID, d.image = "0a1b2c3d", "ae-0a1b2c3d-probe:latest"
			sb := &sandbox{d: d, cli: cli, name: "ae-0a1b2c3d-000001", id: "0123456789ab"}
			_, attachErr := cli.ContainerAttach(ctx, sb.id, container.AttachOptions{Stream: true, Stdin: true, Stdout: true})
			ops := map[string]func() error{
				"start": func() error {
					_, err := d.Start(ctx, driver.Spec{ID: "ae-0a1b2c3d-000001", Attach: func(io.Reader, io.Writer) {}})
					return err
				},
				"destroy":   func() error { return sb.Destroy(ctx) },
				"exec":      func() error { _, err := sb.Exec(ctx, "ready"); return err },
				"copy in":   func() error { return sb.CopyIn(ctx, "/work/x", []byte("x")) },
				"copy out":  func() error { _, err := sb.CopyOut(ctx, "/work/x", 10); return err },
				"snapshot":  func() error { _, err := sb.Snapshot(ctx, t.TempDir()); return err },
				"host pids": func() error { _, err := sb.HostPIDs(ctx); return err },
				"leftovers": func() error { _, err := d.Leftovers(ctx, "ae-0a1b2c3d"); return err },
				"attach":    func() error { return daemonError(attachErr) },
			}
			for op, run := range ops {
				err := run()
				if err == nil {
					t.Errorf("%s: no error from a daemon that is not there", op)
					continue
				}
				if !errors.Is(err, driver.ErrUnreachable) {
					t.Errorf("%s: %v is not driver.ErrUnreachable", op, err)
				}
				if errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("%s: %v is a timeout", op, err)
				}
			}
		})
	}
}

// A dial that the caller's deadline ends is a timeout, not an unreachable
// daemon.
func TestDialEndedByTheDeadlineIsNoUnreachableDaemon(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-ctx.Done()
	dial, err := daemonDialer("unix:///tmp/x/none.sock")
	if err != nil {
		t.Fatal(err)
	}
	_, err = dial(ctx, "tcp", "api.moby.localhost:80")
	if err == nil || errors.Is(err, driver.ErrUnreachable) {
		t.Errorf("dial after the deadline: %v, want an error that is not ErrUnreachable", err)
	}
}

// What the daemon says is typed by the errno whose C library text it
// holds; a daemon's own failure without one stays as it was.
func TestDaemonErrorOnRecordedMessages(t *testing.T) {
	for _, c := range []struct {
		file  string
		errno syscall.Errno // 0: none
	}{
		// `docker create` on a daemon whose --data-root was a full tmpfs.
		{"create-enospc.txt", syscall.ENOSPC},
		// docker checkpoint create on this host's kernel (CRIU 3.17).
		{"checkpoint-criu-failed.txt", 0},
	} {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			msg := strings.TrimSpace(string(b))
			got := daemonError(errors.New(msg))
			for _, errno := range driver.EnvironmentErrnos {
				if errors.Is(got, errno) != (errno == c.errno) {
					t.Errorf("errors.Is(%q, %v) = %v", msg, errno, errno != c.errno)
				}
			}
			if got.Error() != msg {
				t.Errorf("daemonError changed the message: %q", got)
			}
			if errors.Is(got, driver.ErrUnreachable) {
				t.Errorf("%q: an answer from the daemon taken for an unreachable daemon", msg)
			}
		})
	}
	if daemonError(nil) != nil {
		t.Error("daemonError(nil) is not nil")
	}
}
