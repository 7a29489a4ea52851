package qemu

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/probe"
)

var sandboxSeq atomic.Int64

// needQEMU skips with the precise reason when this host cannot run d.
func needQEMU(t *testing.T, d *Driver) measure.Fingerprint {
	t.Helper()
	fp := d.Fingerprint(context.Background())
	if !fp.Available {
		t.Skipf("%s unavailable here: %s (fix: %s)", d.Variant(), fp.Reason, fp.Fix)
	}
	drivertest.Probe(t)
	return fp
}

// prepared returns d prepared for a run, closed at the end of the test.
func prepared(t *testing.T, d *Driver) measure.RunEnv {
	t.Helper()
	env := measure.RunEnv{RunID: fmt.Sprintf("qt%d", os.Getpid()), Probe: drivertest.Probe(t), Dir: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.Prepare(ctx, env); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return env
}

// guest is one sandbox and the harness's stream to its probe.
type guest struct {
	sb     measure.Sandbox
	stream *probe.Stream
	spec   measure.Spec
}

func newSpec(t *testing.T, env measure.RunEnv, g *guest) measure.Spec {
	n := sandboxSeq.Add(1)
	dir, err := os.MkdirTemp(env.Dir, "sb")
	if err != nil {
		t.Fatal(err)
	}
	attached := 0
	id := fmt.Sprintf("ae-%s-%d", env.RunID, n)
	return measure.Spec{
		ID:    id,
		Probe: env.Probe,
		Args:  []string{"--sandbox=" + id}, // as the harness passes it
		Dir:   dir,
		Attach: func(out io.Reader, in io.Writer) {
			attached++
			if attached > 1 {
				t.Errorf("Attach called %d times", attached)
			}
			g.stream = probe.NewStream(out, in)
		},
	}
}

// destroyAtEnd destroys g when the test ends (a second Destroy after an
// explicit one must be harmless).
func destroyAtEnd(t *testing.T, g *guest) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := g.sb.Destroy(ctx); err != nil {
			t.Errorf("destroy at end: %v", err)
		}
		g.stream.Close()
	})
}

func start(t *testing.T, ctx context.Context, d *Driver, env measure.RunEnv) *guest {
	t.Helper()
	g := &guest{}
	g.spec = newSpec(t, env, g)
	sb, err := d.Start(ctx, g.spec)
	if err != nil {
		t.Fatal(err)
	}
	g.sb = sb
	destroyAtEnd(t, g)
	return g
}

func restore(t *testing.T, ctx context.Context, d *Driver, env measure.RunEnv, snap measure.Snapshot) *guest {
	t.Helper()
	g := &guest{}
	g.spec = newSpec(t, env, g)
	sb, err := d.Restore(ctx, snap, g.spec)
	if err != nil {
		t.Fatal(err)
	}
	g.sb = sb
	destroyAtEnd(t, g)
	return g
}

func request(t *testing.T, ctx context.Context, g *guest, verb string, args ...string) probe.Msg {
	t.Helper()
	m, err := g.stream.Request(ctx, verb, args...)
	if err != nil {
		t.Fatalf("%s: %v", g.spec.ID, err)
	}
	return m
}

// assertNothingLeft checks that no process or file of the run remains.
func assertNothingLeft(t *testing.T, d *Driver, env measure.RunEnv, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			t.Errorf("left behind in %s: %s", dir, e.Name())
		}
	}
	left, err := d.Leftovers(context.Background(), "ae-"+env.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("left behind: %q", left)
	}
}

func TestFingerprintTCGIsOfferedWithItsWarning(t *testing.T) {
	fp := NewTCG().Fingerprint(context.Background())
	if len(fp.Warnings) == 0 || !strings.Contains(fp.Warnings[0], "do not represent") {
		t.Errorf("TCG fingerprint warnings = %q, want the TCG warning", fp.Warnings)
	}
	if !fp.Available {
		if fp.Reason == "" || fp.Fix == "" {
			t.Errorf("unavailable without a reason and a fix: %+v", fp)
		}
		t.Skipf("qemu-kvm/tcg unavailable here: %s", fp.Reason)
	}
	if !strings.HasPrefix(fp.Version, "7.") && !strings.Contains(fp.Version, ".") {
		t.Errorf("version = %q", fp.Version)
	}
	for _, k := range []string{"binary", "kernel", "tsc_early_khz", "accelerators"} {
		if fp.Details[k] == "" {
			t.Errorf("details lack %q: %v", k, fp.Details)
		}
	}
}

func TestFingerprintKVMProvesOrExplains(t *testing.T) {
	d := NewKVM()
	fp := d.Fingerprint(context.Background())
	t.Logf("qemu-kvm/kvm: available=%v reason=%q", fp.Available, fp.Reason)
	if fp.Available {
		if len(fp.Warnings) != 0 {
			t.Errorf("KVM variant carries warnings: %q", fp.Warnings)
		}
		if fp.Details["cpu"] != "host" {
			t.Errorf("details = %v", fp.Details)
		}
		return
	}
	if fp.Reason == "" || fp.Fix == "" {
		t.Errorf("KVM unavailable without a reason and a fix: %+v", fp)
	}
	if _, err := os.Stat("/dev/kvm"); err != nil && !strings.Contains(fp.Reason, "/dev/kvm") && !strings.Contains(fp.Reason, "not found") && !strings.Contains(fp.Reason, "kernel") {
		t.Errorf("no /dev/kvm here, yet the reason does not say so: %q", fp.Reason)
	}
	// A second fingerprint answers from the cached trial, the same way.
	if fp2 := d.Fingerprint(context.Background()); fp2.Available != fp.Available || fp2.Reason != fp.Reason {
		t.Errorf("second fingerprint differs: %+v vs %+v", fp2, fp)
	}
}

func TestStartBeforePrepareFailsAndLeavesNothing(t *testing.T) {
	d := NewTCG()
	g := &guest{}
	env := measure.RunEnv{RunID: "unprepared", Probe: "/nonexistent", Dir: t.TempDir()}
	spec := newSpec(t, env, g)
	if _, err := d.Start(context.Background(), spec); err == nil || !strings.Contains(err.Error(), "Prepare") {
		t.Fatalf("Start before Prepare: err = %v, want one naming Prepare", err)
	}
	assertNothingLeft(t, d, env, spec.Dir)
}

// TestStartThatQEMURefusesLeavesNothing boots a "kernel" that is not one:
// QEMU exits at once, Start reports QEMU's own words, and neither a process
// nor a socket remains.
func TestStartThatQEMURefusesLeavesNothing(t *testing.T) {
	d := NewTCG()
	needQEMU(t, d)
	bogus := filepath.Join(t.TempDir(), "vmlinuz")
	if err := os.WriteFile(bogus, []byte("not a kernel\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(kernelEnv, bogus) // Prepare resolves the kernel the run boots
	env := prepared(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	g := &guest{}
	spec := newSpec(t, env, g)
	sb, err := d.Start(ctx, spec)
	if err == nil {
		sb.Destroy(ctx)
		t.Fatal("Start succeeded with a bogus kernel")
	}
	if !strings.Contains(err.Error(), "qemu says") {
		t.Errorf("error does not carry QEMU's message: %v", err)
	}
	if g.stream == nil {
		t.Error("Attach was not called before QEMU was started")
	} else {
		g.stream.Close()
	}
	assertNothingLeft(t, d, env, spec.Dir)
}
