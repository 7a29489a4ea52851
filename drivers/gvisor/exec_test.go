package gvisor

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/probe"
)

func TestParsePsOnRecordedOutput(t *testing.T) {
	for file, want := range map[string][]int{
		"ps-init-only.json": {1},
		"ps-with-exec.json": {1, 13},
	} {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := parsePs(b)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: %v, %v, want %v", file, got, err, want)
		}
	}
	if _, err := parsePs([]byte("container does not exist")); err == nil {
		t.Error("parsePs accepted text")
	}
}

// waitOnlyInit waits (bounded by ctx) until runsc ps lists only the
// sandbox's init.
func waitOnlyInit(ctx context.Context, t *testing.T, d *Driver, id string) {
	t.Helper()
	for {
		pids, err := d.processes(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(pids, []int{1}) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("processes in the sandbox: %v, want only its init", pids)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestExecRunsASecondProbeInsideTheSandbox: runsc exec starts the probe
// again inside the running sandbox (a pid other than its init), a non-zero
// exit is an error, an exec cut short by its context leaves no process
// inside, and destroying the sandbox leaves nothing.
func TestExecRunsASecondProbeInsideTheSandbox(t *testing.T) {
	d := realDriver(t, Systrap)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	prefix := runID(t)
	a := start(ctx, t, d, prefix, 1)
	ready, err := a.stream.Ready(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pids, err := a.sb.HostPIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}

	out, err := d.Exec(ctx, a.sb, probe.ExecFlag)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exec: %q (init is pid %d)", out, ready.PID)
	if pid := drivertest.ExecOKPid(t, out); pid == ready.PID {
		t.Errorf("the exec'd probe is pid %d, the sandbox's init: no second process", pid)
	}
	waitOnlyInit(ctx, t, d, a.sb.ID())

	// An unknown child check makes the probe exit 202.
	if _, err := d.Exec(ctx, a.sb, "-aeprobe-child", "no-such-check"); err == nil || !strings.Contains(err.Error(), "exit status 202") {
		t.Errorf("exec of a process exiting 202: %v", err)
	}
	// Without arguments the probe serves its stdin (/dev/null), then idles
	// for ever: only the context ends it, and the process inside with it.
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	_, err = d.Exec(short, a.sb)
	cancelShort()
	if err == nil {
		t.Fatal("an exec of a process that never exits returned without error")
	}
	t.Logf("exec cut short: %v", err)
	waitOnlyInit(ctx, t, d, a.sb.ID())
	if m, err := a.stream.Request(ctx, "ping"); err != nil || m.Verb != probe.VerbPong {
		t.Fatalf("ping after the execs: %+v, %v", m, err)
	}

	if err := a.sb.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	assertNothingLeft(ctx, t, d, prefix, pids)
	if ents, _ := filepath.Glob(filepath.Join(a.sb.(*sandbox).dir, "exec-*.pid")); len(ents) > 0 {
		t.Errorf("exec pid files left: %v", ents)
	}
	if _, err := d.Exec(ctx, a.sb, probe.ExecFlag); err == nil || !strings.Contains(err.Error(), a.sb.ID()) {
		t.Errorf("exec after Destroy: %v", err)
	}
}
