package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/probe"
)

// waitOnlyInit waits (bounded by ctx) until the container's cgroup holds
// only its init process and the daemon lists no running exec.
func waitOnlyInit(ctx context.Context, t *testing.T, d *Driver, sb measure.Sandbox) {
	t.Helper()
	s := sb.(*sandbox)
	init, err := s.initPID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cg, err := sb.MemoryCgroup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(cg, "cgroup.procs"))
		if err != nil {
			t.Fatal(err)
		}
		procs := strings.Fields(string(b))
		info, err := s.cli.ContainerInspect(ctx, s.id)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(procs, []string{strconv.Itoa(init)}) && len(info.ExecIDs) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the container holds processes %v (init %d) and execs %v", procs, init, info.ExecIDs)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestExecRunsASecondProbeInTheContainer: the Engine's exec starts the
// probe again in the running container (a pid other than its init); a
// non-zero exit is an error; an exec cut short by its context leaves no
// process; destroying the container leaves nothing of the run.
func TestExecRunsASecondProbeInTheContainer(t *testing.T) {
	d := engine(t)
	env := prepared(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var a drivertest.Attached
	defer a.Close()
	sb, ready, pids := drivertest.StartReady(ctx, t, d, &a, sandboxSpec(env, 1, a.Attach))
	st := a.Stream()

	out, err := sb.(measure.Execer).Exec(ctx, probe.ExecFlag)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exec: %q (init is pid %d)", out, ready.PID)
	if pid := drivertest.ExecOKPid(t, out); pid == ready.PID {
		t.Errorf("the exec'd probe is pid %d, the container's init: no second process", pid)
	}
	waitOnlyInit(ctx, t, d, sb)

	// An unknown child check makes the probe exit 202.
	if _, err := sb.(measure.Execer).Exec(ctx, "-aeprobe-child", "no-such-check"); err == nil || !strings.Contains(err.Error(), "exited with code 202") {
		t.Errorf("exec of a process exiting 202: %v", err)
	}
	// Without arguments the probe serves its stdin (none), then idles for
	// ever: only the context ends it, and the process with it.
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	_, err = sb.(measure.Execer).Exec(short)
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an exec of a process that never exits: %v", err)
	}
	t.Logf("exec cut short: %v", err)
	waitOnlyInit(ctx, t, d, sb)
	if m, err := st.Request(ctx, "ping"); err != nil || m.Verb != probe.VerbPong {
		t.Fatalf("ping after the execs: %+v, %v", m, err)
	}

	id := sb.(*sandbox).id
	if err := sb.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	assertNoCgroup(t, id)
	drivertest.AssertProcessesGone(t, pids)
	if _, err := sb.(measure.Execer).Exec(ctx, probe.ExecFlag); err == nil || !strings.Contains(err.Error(), sb.ID()) {
		t.Errorf("exec after Destroy: %v", err)
	}
}

// TestSnapshotIsAttemptedAndItsOutcomeMeasured: the probe holds a token;
// the Engine checkpoints the container through CRIU. Where CRIU fails (it
// does on kernels 6.13+ with CRIU 3.17), the error carries the daemon's
// message and CRIU's own cause, and the container is still running,
// intact, or gone; where it works, a restore and two more held at once
// each hold the token. Either way nothing of the run is left.
func TestSnapshotIsAttemptedAndItsOutcomeMeasured(t *testing.T) {
	d := engine(t)
	fp := d.Fingerprint(context.Background())
	if !d.Capabilities().Snapshot {
		t.Skipf("snapshots not offered: %s", fp.Details["snapshot"])
	}
	env := prepared(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var a drivertest.Attached
	defer a.Close()
	sb, _, pids := drivertest.StartReady(ctx, t, d, &a, sandboxSpec(env, 1, a.Attach))
	st := a.Stream()
	const token = "00112233445566778899aabbccddeeff"
	if _, err := st.Request(ctx, "token", "set", token); err != nil {
		t.Fatal(err)
	}
	snapDir := filepath.Join(t.TempDir(), sb.ID()+"-snapshot")
	if err := os.Mkdir(snapDir, 0o700); err != nil {
		t.Fatal(err)
	}

	snap, err := sb.(measure.Snapshotter).Snapshot(ctx, snapDir)
	if err != nil {
		t.Logf("checkpoint failed here, the measured result: %v", err)
		if !strings.Contains(strings.ToLower(err.Error()), "criu") {
			t.Errorf("the error does not name CRIU: %v", err)
		}
		var ce *CheckpointError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "Error response from daemon") {
			t.Errorf("the error does not carry the daemon's message: %v", err)
		}
		if fp.Details["criu_check"] != "" && (ce == nil || !strings.Contains(ce.Cause, "Error (")) {
			t.Errorf("criu check fails here, and the error does not carry CRIU's own error line: %v", err)
		}
		ents, _ := os.ReadDir(snapDir)
		for _, e := range ents {
			t.Errorf("the failed checkpoint left %s in the snapshot dir", e.Name())
		}
		// Never half-state: running and intact, or gone.
		cli, _ := d.client()
		info, ierr := cli.ContainerInspect(ctx, sb.(*sandbox).id)
		switch {
		case isNotFound(ierr):
			t.Logf("the container is gone after the failed checkpoint")
		case ierr != nil:
			t.Fatal(ierr)
		case !info.State.Running || info.State.Paused:
			t.Errorf("after the failed checkpoint the container is %s: half-state", info.State.Status)
		default:
			m, err := st.Request(ctx, "token", "get")
			if err != nil || m.Payload != token {
				t.Errorf("the container left running lost its probe's token: %+v, %v", m, err)
			}
		}
	} else {
		t.Logf("checkpoint succeeded: %d bytes in %s", snap.Bytes, snap.Dir)
		if err := sb.Destroy(ctx); err != nil {
			t.Fatal(err)
		}
		var held []measure.Sandbox
		for n := range 3 {
			var rs *probe.Stream
			rsb, err := d.Restore(ctx, snap, measure.Spec{
				ID: fmt.Sprintf("ae-%s-r%d", env.RunID, n), Probe: env.Probe, Dir: env.Dir,
				Attach: func(out io.Reader, in io.Writer) { rs = probe.NewStream(out, in) },
			})
			if err != nil {
				t.Fatalf("restore %d: %v", n, err)
			}
			defer rs.Close()
			defer rsb.Destroy(context.Background())
			m, err := rs.Request(ctx, "token", "get")
			if err != nil || m.Payload != token {
				t.Errorf("restore %d: token %+v, %v, want %s", n, m, err, token)
			}
			if n == 0 {
				if err := rsb.Destroy(ctx); err != nil {
					t.Fatal(err)
				}
				continue
			}
			held = append(held, rsb)
		}
		for _, rsb := range held {
			if err := rsb.Destroy(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	id := sb.(*sandbox).id
	if err := sb.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	assertNoCgroup(t, id)
	drivertest.AssertProcessesGone(t, pids)
	assertNothingOfRunButImage(t, d, env.RunID)
	// prepared's clean-up checks that Close leaves nothing of the run.
}

// TestRestoreWithoutACheckpointIsRefused: no checkpoint directory, no
// container.
func TestRestoreWithoutACheckpointIsRefused(t *testing.T) {
	d := engine(t)
	env := prepared(t, d)
	called := false
	_, err := d.Restore(context.Background(), measure.Snapshot{Dir: filepath.Join(t.TempDir(), "missing")}, measure.Spec{
		ID: "ae-" + env.RunID + "-1", Probe: env.Probe, Dir: env.Dir,
		Attach: func(io.Reader, io.Writer) { called = true },
	})
	if err == nil || called {
		t.Errorf("restore without a checkpoint: %v (Attach called: %v)", err, called)
	}
	assertNothingOfRunButImage(t, d, env.RunID)
}
