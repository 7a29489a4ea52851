package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/drivers/runc"
)

// TestKilledRunIsReapedAfterwards runs a real density measurement through
// runc in a child process of the built CLI, SIGKILLs it mid-density (after
// its ledger lists three sandboxes), then runs `vms reap` and checks
// through the runc driver's Leftovers and the ledger directory that nothing
// of the run is left.
func TestKilledRunIsReapedAfterwards(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: runc containers and cgroups")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	drv := runc.New()
	if fp := drv.Fingerprint(ctx); !fp.Available {
		t.Skipf("runc is not usable here: %s", fp.Reason)
	}
	state, scratch := t.TempDir(), t.TempDir()
	ledgers := filepath.Join(state, "runs")
	env := append(os.Environ(), "AGENTIC_EVAL_STATE="+state, "TMPDIR="+scratch)

	child := exec.CommandContext(ctx, binary, "vms", "measure", "docker/runc", "--phases", "density", "--density", "10", "--capacity",
		"--out", filepath.Join(scratch, "results.json"))
	child.Env = env
	var out bytes.Buffer
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the ledger lists three sandboxes: the run is inside the
	// density phase, holding sandboxes, and has more to start.
	var runID string
	var recorded int
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		ids, _ := filepath.Glob(filepath.Join(ledgers, "*.ids"))
		if len(ids) == 1 {
			b, _ := os.ReadFile(ids[0])
			if recorded = strings.Count(string(b), "\n"); recorded >= 3 {
				runID = strings.TrimSuffix(filepath.Base(ids[0]), ".ids")
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	if runID == "" {
		child.Process.Kill()
		child.Wait()
		t.Fatalf("the run never recorded three sandboxes; its output:\n%s", out.String())
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := child.Wait()
	if ws, ok := child.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the run ended before the kill (%v); its output:\n%s", err, out.String())
	}
	prefix := "ae-" + runID
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if left, _ := drv.Leftovers(cctx, prefix); len(left) > 0 {
			drv.Reap(cctx, prefix)
		}
	})
	before, err := drv.Leftovers(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) == 0 {
		t.Fatal("the killed run left nothing: the test did not kill it mid-run")
	}
	if _, err := os.Stat(filepath.Join(scratch, prefix+"_scratch")); err != nil {
		t.Fatalf("the killed run's scratch dir: %v", err)
	}

	reaper := exec.CommandContext(ctx, binary, "vms", "reap")
	reaper.Env = env
	var stderr strings.Builder
	reaper.Stderr = &stderr
	t0 := time.Now()
	so, err := reaper.Output()
	took := time.Since(t0)
	if err != nil {
		t.Fatalf("vms reap: %v\n%s%s", err, so, stderr.String())
	}
	// stdout: one line per run; stderr says the reap watched it.
	line := strings.TrimSpace(string(so))
	if strings.Count(line, "\n") != 0 || !strings.Contains(line, "reaped stale run "+runID) {
		t.Errorf("vms reap printed %q: want one line for run %s", line, runID)
	}
	if !strings.Contains(stderr.String(), "stale run "+runID+": watching it") {
		t.Errorf("vms reap did not say on stderr that it watched the run for late objects: %q", stderr.String())
	}
	removed := regexp.MustCompile(`(\d+) removed`).FindStringSubmatch(line)
	if removed == nil {
		t.Errorf("vms reap did not say how much it removed: %q", line)
	}

	after, err := drv.Leftovers(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) > 0 {
		t.Errorf("left after the reap: %v", after)
	}
	if ents, err := os.ReadDir(ledgers); err != nil || len(ents) != 0 {
		t.Errorf("ledger dir after the reap: %d entries (%v), want none", len(ents), err)
	}
	if _, err := os.Stat(filepath.Join(scratch, prefix+"_scratch")); !os.IsNotExist(err) {
		t.Errorf("scratch dir after the reap: %v, want it gone", err)
	}
	t.Logf("killed run %s after %d sandboxes recorded; %d runc leftovers before the reap; the reap removed %s objects in %s",
		runID, recorded, len(before), removed[1], took.Round(time.Millisecond))

	// Nothing is left, so another reap has nothing to do and exits 0.
	again := exec.CommandContext(ctx, binary, "vms", "reap")
	again.Env = env
	if b, err := again.CombinedOutput(); err != nil || !strings.Contains(string(b), "no stale runs") {
		t.Errorf("second reap: %v, %q", err, b)
	}
}

// TestFullTmpdirExitsOne runs a real runc measurement whose scratch space is
// a 256 KiB tmpfs: every attempt fails with no space left, which is the
// host's failure, not runc's, so the run exits 1 with one line on stderr
// and its failures carry the environment class.
func TestFullTmpdirExitsOne(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: runc, and a tmpfs mount")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if fp := runc.New().Fingerprint(ctx); !fp.Available {
		t.Skipf("runc is not usable here: %s", fp.Reason)
	}
	tiny, state, outDir := t.TempDir(), t.TempDir(), t.TempDir()
	if err := syscall.Mount("tmpfs", tiny, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(tiny, syscall.MNT_DETACH) })
	outPath := filepath.Join(outDir, "results.json")
	cmd := exec.CommandContext(ctx, binary, "vms", "measure", "docker/runc", "--phases", "start-latency", "--samples", "2", "--warmups", "0", "--out", outPath)
	cmd.Env = append(os.Environ(), "AGENTIC_EVAL_STATE="+state, "TMPDIR="+tiny)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1; stderr:\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, "failed for the environment") {
		t.Errorf("last stderr line %q: want the one-line environment summary", last)
	}
	b, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Systems []struct {
			Failures []struct{ Cause, Class string }
		}
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Systems) != 1 || len(res.Systems[0].Failures) == 0 {
		t.Fatalf("results %s: want docker/runc with failures", b)
	}
	for _, f := range res.Systems[0].Failures {
		if f.Class != "environment" {
			t.Errorf("failure %q has class %q, want environment", f.Cause, f.Class)
		}
	}
}
