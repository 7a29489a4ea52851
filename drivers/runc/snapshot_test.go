package runc

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/oci"
	"github.com/agentic-eval/agentic-eval/probe"
)

// cgroupProcs lists the host pids in the sandbox's memory cgroup.
func cgroupProcs(t *testing.T, ctx context.Context, sb measure.Sandbox) []int {
	t.Helper()
	cg, err := sb.MemoryCgroup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(cg, "cgroup.procs"))
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		pids = append(pids, atoi(f))
	}
	return pids
}

// waitOnlyInit waits (bounded by ctx) until the sandbox's cgroup holds only
// its init process, and fails with what it holds otherwise.
func waitOnlyInit(t *testing.T, ctx context.Context, sb measure.Sandbox, init int) {
	t.Helper()
	for {
		procs := cgroupProcs(t, ctx, sb)
		if slices.Equal(procs, []int{init}) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the sandbox's cgroup holds %v, want only its init %d", procs, init)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestExecRunsASecondProbeAndLeavesNothing(t *testing.T) {
	d := needRunc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var a drivertest.Attached
	defer a.Close()
	spec := newSpec(t, &a)
	sb, ready, pids := drivertest.StartReady(ctx, t, d, &a, spec)

	out, err := d.Exec(ctx, sb, probe.ExecFlag)
	if err != nil {
		t.Fatal(err)
	}
	pid := drivertest.ExecOKPid(t, out)
	t.Logf("exec: %q (init is pid %d)", out, ready.PID)
	if pid == ready.PID {
		t.Errorf("the exec'd probe is pid %d, the sandbox's init: no second process", pid)
	}
	// The exec'd process is gone, the init still answers.
	waitOnlyInit(t, ctx, sb, pids[0])
	if m, err := a.Stream().Request(ctx, "ping"); err != nil || m.Verb != probe.VerbPong {
		t.Fatalf("ping after exec: %+v, %v", m, err)
	}

	if err := sb.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	assertNothingLeft(t, d, spec.ID, spec.Dir, pids)
	if ents, _ := filepath.Glob(filepath.Join(spec.Dir, "exec-*.pid")); len(ents) > 0 {
		t.Errorf("exec pid files left: %v", ents)
	}
	// Exec into a sandbox that is gone: runc's own message.
	_, err = d.Exec(ctx, sb, probe.ExecFlag)
	if err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), spec.ID) {
		t.Errorf("exec after Destroy: %v, want runc's \"does not exist\" naming %s", err, spec.ID)
	}
}

// TestExecFailuresAreErrors: a process that exits non-zero is an error with
// its exit status; an exec cut short by its context kills the process it
// started, which runc alone would leave running in the container.
func TestExecFailuresAreErrors(t *testing.T) {
	d := needRunc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var a drivertest.Attached
	defer a.Close()
	spec := newSpec(t, &a)
	sb, _, pids := drivertest.StartReady(ctx, t, d, &a, spec)

	// An unknown child check makes the probe exit 202.
	_, err := d.Exec(ctx, sb, "-aeprobe-child", "no-such-check")
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Command != "exec" || !strings.Contains(err.Error(), "exit status 202") {
		t.Errorf("exec of a process exiting 202: %v", err)
	}

	// Without arguments the probe serves its stdin (/dev/null), then idles
	// for ever: only the context ends it.
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	_, err = d.Exec(short, sb)
	cancelShort()
	if err == nil {
		t.Fatal("an exec of a process that never exits returned without error")
	}
	t.Logf("exec cut short: %v", err)
	waitOnlyInit(t, ctx, sb, pids[0])

	if err := sb.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	assertNothingLeft(t, d, spec.ID, spec.Dir, pids)
}

// TestSnapshotIsAttemptedAndItsOutcomeMeasured: the probe holds a token;
// runc checkpoints it through CRIU. Where CRIU fails (it does on kernels
// 6.13+ with CRIU 3.17), the error names CRIU's own cause from its log and
// the container is still running, intact, or gone; where it works, two
// restores from the image held at once still hold the token. Either way
// nothing is left afterwards.
func TestSnapshotIsAttemptedAndItsOutcomeMeasured(t *testing.T) {
	d := needRunc(t)
	if !d.Capabilities().Snapshot {
		t.Skipf("snapshots not offered: %s", snapshotNote(context.Background()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var a drivertest.Attached
	defer a.Close()
	spec := newSpec(t, &a)
	sb, _, pids := drivertest.StartReady(ctx, t, d, &a, spec)
	const token = "0123456789abcdef0123456789abcdef"
	if _, err := a.Stream().Request(ctx, "token", "set", token); err != nil {
		t.Fatal(err)
	}
	snapDir := filepath.Join(t.TempDir(), spec.ID+"-snapshot")
	if err := os.Mkdir(snapDir, 0o700); err != nil {
		t.Fatal(err)
	}

	snap, err := d.Snapshot(ctx, sb, snapDir)
	if err != nil {
		t.Logf("checkpoint failed here, the measured result: %v", err)
		if !strings.Contains(strings.ToLower(err.Error()), "criu") {
			t.Errorf("the error does not name CRIU: %v", err)
		}
		var ce *CRIUError
		if !errors.As(err, &ce) || !strings.Contains(ce.Cause, "Error (") || !strings.HasPrefix(err.Error(), "runc checkpoint "+spec.ID+": criu failed: ") {
			t.Errorf("the error does not carry CRIU's own error line: %v", err)
		}
		if _, err := os.Stat(filepath.Join(snapDir, criuWorkDir, "dump.log")); err != nil {
			t.Errorf("CRIU's log is not in the snapshot's work dir: %v", err)
		}
		if _, err := os.Stat(filepath.Join(d.root(), spec.ID, "criu.work")); !os.IsNotExist(err) {
			t.Errorf("the checkpoint wrote into runc's state dir (%v)", err)
		}
		// Never half-state: running and intact, or gone.
		list, err := d.list(ctx)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(list, func(s oci.State) bool { return s.ID == spec.ID })
		switch {
		case i < 0:
			t.Logf("the container is gone after the failed checkpoint")
		case list[i].Status != "running":
			t.Errorf("after the failed checkpoint runc lists %s as %s: half-state", spec.ID, list[i].Status)
		default:
			m, err := a.Stream().Request(ctx, "token", "get")
			if err != nil || m.Payload != token {
				t.Errorf("the container left running lost its probe's token: %+v, %v", m, err)
			}
		}
	} else {
		t.Logf("checkpoint succeeded: %d bytes in %s", snap.Bytes, snap.Dir)
		if snap.Bytes <= 0 {
			t.Errorf("snapshot of %d bytes", snap.Bytes)
		}
		if err := sb.Destroy(ctx); err != nil {
			t.Fatal(err)
		}
		// One restore, then two held at once: each holds the token.
		var held []measure.Sandbox
		for n := range 3 {
			var r drivertest.Attached
			defer r.Close()
			rspec := newSpec(t, &r)
			rsb, err := d.Restore(ctx, snap, rspec)
			if err != nil {
				t.Fatalf("restore %d: %v", n, err)
			}
			defer rsb.Destroy(context.Background())
			m, err := r.Stream().Request(ctx, "token", "get")
			if err != nil || m.Payload != token {
				t.Errorf("restore %d: token %+v, %v, want %s", n, m, err, token)
			}
			if n == 0 {
				if err := rsb.Destroy(ctx); err != nil {
					t.Fatal(err)
				}
				assertNothingLeft(t, d, rspec.ID, rspec.Dir, nil)
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
	if err := sb.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	assertNothingLeft(t, d, spec.ID, spec.Dir, pids)
	if left, err := d.Leftovers(ctx, testPrefix); err != nil || len(left) > 0 {
		t.Errorf("leftovers of this test process: %q, %v", left, err)
	}
}

// TestRestoreOfABrokenImageSaysWhyAndLeavesNothing: runc restore of an
// image directory whose CRIU inventory is empty (runc's descriptors.json
// is as a checkpoint writes it) fails in CRIU; Restore returns the error,
// naming CRIU, and removes what it made.
func TestRestoreOfABrokenImageSaysWhyAndLeavesNothing(t *testing.T) {
	d := needRunc(t)
	if !d.Capabilities().Restore {
		t.Skipf("restores not offered: %s", snapshotNote(context.Background()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	img := t.TempDir()
	if err := os.WriteFile(filepath.Join(img, "inventory.img"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(img, "descriptors.json"), []byte(`["pipe:[4001]","pipe:[4002]","/dev/null"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	var a drivertest.Attached
	defer a.Close()
	spec := newSpec(t, &a)
	sb, err := d.Restore(ctx, measure.Snapshot{Dir: img}, spec)
	if err == nil {
		sb.Destroy(ctx)
		t.Fatal("restore of an empty image succeeded")
	}
	t.Logf("restore: %v", err)
	if !strings.Contains(strings.ToLower(err.Error()), "criu") || !strings.Contains(err.Error(), spec.ID) {
		t.Errorf("error %v does not name CRIU and the sandbox", err)
	}
	if a.Calls() != 1 {
		t.Errorf("Attach called %d times, want once before runc ran", a.Calls())
	}
	assertNothingLeft(t, d, spec.ID, spec.Dir, nil)

	// No image at all: refused before anything is made.
	var b drivertest.Attached
	spec2 := newSpec(t, &b)
	if _, err := d.Restore(ctx, measure.Snapshot{Dir: t.TempDir()}, spec2); err == nil || b.Calls() != 0 {
		t.Errorf("restore without an image: %v (Attach called %d times)", err, b.Calls())
	}
}
