package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/criu"
	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/image"
	"github.com/agentic-eval/agentic-eval/reap"
	"github.com/agentic-eval/agentic-eval/residue"
)

// TestSIGKILLInEachPhaseIsSweptByTheNextRun kills the CLI with SIGKILL,
// which it cannot catch, in each phase of each variant once it holds a
// sandbox; the next plain `vms measure` (of another, quick variant) must
// find the dead run in the ledger and reap everything it left: runtime
// lists, processes, mounts, cgroups, runtime roots, images, the scratch
// dir and the ledger itself.
func TestSIGKILLInEachPhaseIsSweptByTheNextRun(t *testing.T) {
	phases := map[string][]string{
		"start-latency": {"--phases", "start-latency", "--samples", "200"},
		"burst":         {"--phases", "burst", "--burst", "8"},
		"arrivals":      {"--phases", "arrivals", "--arrival-rates", "20", "--arrival-hold", "5m", "--arrival-budget", "1h", "--arrival-p99", "10m"},
		"density":       {"--phases", "density", "--density", "30", "--capacity"},
		"churn":         {"--phases", "churn", "--churn", "100000", "--churn-time", "10m"},
		"snapshot":      {"--phases", "snapshot", "--forks", "8"},
		"workload":      {"--phases", "workload", "--workload-samples", "50"},
	}
	for _, variant := range []string{"docker/runc", "docker/crun", "docker", "gvisor/systrap", "qemu-kvm/tcg"} {
		for _, phase := range []string{"start-latency", "burst", "arrivals", "density", "churn", "snapshot", "workload"} {
			t.Run(strings.ReplaceAll(variant, "/", "-")+"/"+phase, func(t *testing.T) {
				if phase == "snapshot" && strings.HasPrefix(variant, "docker") {
					// Where CRIU cannot checkpoint, the phase fails at once
					// and holds its one sandbox for a few milliseconds: too
					// short a window to kill in reliably.
					if c := criu.Look(context.Background()); c.Path == "" || c.CheckErr != nil {
						t.Skipf("CRIU cannot checkpoint here (%s), so %s's snapshot phase holds no sandbox long enough to be killed in", criuState(c), variant)
					}
				}
				if phase == "workload" {
					if _, err := image.Find(image.CacheDir()); err != nil {
						t.Skipf("no sandbox image: %v", err)
					}
				}
				d := usableDriver(t, variant)
				args := append([]string{"vms", "measure", variant, "--out", filepath.Join(t.TempDir(), "r.json")}, phases[phase]...)
				if phase == "burst" && variant != "qemu-kvm/tcg" {
					// A burst of 8 containers is over in tens of
					// milliseconds: hold it long enough to be killed in.
					args = append(args, "--burst", "48", "--burst-budget", "5m")
				}
				if phase == "arrivals" && variant == "qemu-kvm/tcg" {
					// Guests of 2.5 s each under TCG: fewer at once.
					args = append(args, "--arrival-rates", "2", "--arrival-max-in-flight", "4")
				}
				r := start(t, args...)
				id := r.id(t)
				waitFor(t, 3*time.Minute, "the run to hold a sandbox", func() bool { return liveSandboxes(id) >= 1 })
				if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				r.wait(t, time.Minute)
				ledger := filepath.Join(reap.LedgerDir(), id+".json")
				if _, err := os.Stat(ledger); err != nil {
					t.Fatalf("the killed run did not record itself in %s: %v", ledger, err)
				}
				next := start(t, "vms", "measure", "docker/runc", "--phases", "isolation", "--out", filepath.Join(t.TempDir(), "next.json"))
				if code := next.wait(t, 3*time.Minute); code != 0 {
					t.Fatalf("the next run exited %d:\n%s", code, next.stderr())
				}
				if !strings.Contains(next.stderr(), id) {
					t.Errorf("the next run did not say it reaped run %s:\n%s", id, next.stderr())
				}
				if left := leftovers(t, id, d); len(left) > 0 {
					t.Errorf("after SIGKILL and the next run, run %s left:\n%s", id, strings.Join(left, "\n"))
				}
				if _, err := os.Stat(ledger); err == nil {
					// Something was still being removed when the next run
					// reaped (a Docker removal in progress): the ledger stays
					// for the next reap, which must finish the job.
					sw := start(t, "vms", "reap")
					if code := sw.wait(t, 2*time.Minute); code != 0 {
						t.Errorf("vms reap exited %d:\n%s", code, sw.stderr())
					}
				}
				if _, err := os.Stat(ledger); !os.IsNotExist(err) {
					t.Errorf("the reaped run's ledger %s is still there (%v)", ledger, err)
				}
			})
		}
	}
}

// criuState says in a phrase why CRIU cannot checkpoint on this host.
func criuState(c criu.Host) string {
	if c.Path == "" {
		return "criu is not on PATH"
	}
	msg := criu.CheckError(c.CheckOutput)
	if cause := criu.KnownCause(msg); cause != "" {
		return cause
	}
	return "`criu check`: " + msg
}

// TestGVisorDensityPastTenHasNoAmbiguousIDs holds 12 gVisor sandboxes:
// runsc matches IDs by prefix, so ae-X-1 would be ambiguous beside
// ae-X-10; every sandbox must be sampled and none fail.
func TestGVisorDensityPastTenHasNoAmbiguousIDs(t *testing.T) {
	d := usableDriver(t, "gvisor/systrap")
	out := filepath.Join(t.TempDir(), "r.json")
	// A fill's default time limit is for default runs; on a busy machine
	// twelve sandboxes can take longer.
	r := start(t, "vms", "measure", "gvisor/systrap", "--phases", "density", "--density", "12", "--capacity", "--density-time", "3m", "--out", out)
	id := r.id(t)
	if code := r.wait(t, 5*time.Minute); code != 0 {
		t.Fatalf("exit %d:\n%s", code, r.stderr())
	}
	v := readResults(t, out).Variant("gvisor/systrap")
	if v == nil || v.Density == nil || v.Density.Started != 12 || v.Density.PerInstanceMiB.N != 12 {
		t.Fatalf("density of 12: %+v", v)
	}
	for _, f := range v.Failures {
		t.Errorf("failure: %s: %s", f.Phase, f.Cause)
	}
	if left := leftovers(t, id, d); len(left) > 0 {
		t.Errorf("the run left:\n%s", strings.Join(left, "\n"))
	}
}

// TestAStoppedSandboxCannotHoldDensityPastItsTimeout stops (SIGSTOP) the
// sandbox kernel of one gVisor sandbox the density phase holds: runsc's
// state of it then hangs, and the per-operation timeout must bound the
// memory reading; the run ends, and leaves nothing.
func TestAStoppedSandboxCannotHoldDensityPastItsTimeout(t *testing.T) {
	d := usableDriver(t, "gvisor/systrap")
	out := filepath.Join(t.TempDir(), "r.json")
	r := start(t, "vms", "measure", "gvisor/systrap", "--phases", "density", "--density", "6", "--timeout", "3s", "--out", out)
	id := r.id(t)
	waitFor(t, 3*time.Minute, "the run to hold sandboxes", func() bool { return liveSandboxes(id) >= 2 })
	ps, err := residue.Processes("ae-" + id + "-")
	if err != nil {
		t.Fatal(err)
	}
	stopped := 0
	for _, p := range ps {
		if strings.Contains(p.Cmdline, "runsc-sandbox") || strings.Contains(p.Cmdline, " boot ") {
			if syscall.Kill(p.PID, syscall.SIGSTOP) == nil {
				stopped = p.PID
				break
			}
		}
	}
	if stopped == 0 {
		t.Fatalf("no runsc sandbox process of the run to stop among %v", ps)
	}
	t.Cleanup(func() { syscall.Kill(stopped, syscall.SIGKILL) })
	t0 := time.Now()
	r.wait(t, 3*time.Minute)
	t.Logf("the run ended %v after sandbox process %d was stopped", time.Since(t0).Round(time.Millisecond), stopped)
	if host.Alive(stopped) {
		t.Errorf("the stopped sandbox process %d outlived the run", stopped)
	}
	if left := leftovers(t, id, d); len(left) > 0 {
		t.Errorf("the run left:\n%s", strings.Join(left, "\n"))
	}
}
