package runc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/probe"
)

// needRunc skips the test when the real runc cannot run here, saying why.
func needRunc(t testing.TB) *Driver {
	t.Helper()
	d := New()
	fp := d.Fingerprint(context.Background())
	if !fp.Available {
		t.Skipf("runc unavailable: %s (fix: %s)", fp.Reason, fp.Fix)
	}
	drivertest.Probe(t)
	return d
}

var idSeq struct {
	sync.Mutex
	n int
}

// testPrefix is unique to this test process, so that checks for leftovers
// see only what this process made.
var testPrefix = fmt.Sprintf("ae-rtest%d-", os.Getpid())

func newID(t testing.TB) string {
	idSeq.Lock()
	defer idSeq.Unlock()
	idSeq.n++
	return testPrefix + strconv.Itoa(idSeq.n)
}

func newSpec(t testing.TB, a *drivertest.Attached) measure.Spec {
	return measure.Spec{ID: newID(t), Probe: drivertest.Probe(t), Dir: t.TempDir(), Attach: a.Attach}
}

// assertNothingLeft checks runc, the state root, the mount table, the cgroup
// tree, the bundle and the given processes for anything of sandbox id.
func assertNothingLeft(t *testing.T, d *Driver, id, dir string, pids []int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	left, err := d.Leftovers(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range left {
		// Leftovers matches by prefix: ID-1 also matches ID-10.
		if strings.HasSuffix(l, id) || strings.Contains(l, id+" ") {
			t.Errorf("left behind: %s", l)
		}
	}
	list, err := d.list(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.ID == id {
			t.Errorf("runc still lists %s (%s)", id, s.Status)
		}
	}
	if _, err := os.Stat(filepath.Join(d.root(), id)); !os.IsNotExist(err) {
		t.Errorf("state directory of %s still there (%v)", id, err)
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mi), "\n") {
		if strings.Contains(line, id) || (dir != "" && strings.Contains(line, dir)) {
			t.Errorf("mount left behind: %s", line)
		}
	}
	dirs, err := cgroupDirs(id)
	if err != nil {
		t.Fatal(err)
	}
	for _, cg := range dirs {
		if _, err := os.Stat(cg); !os.IsNotExist(err) {
			t.Errorf("cgroup left behind: %s", cg)
		}
	}
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "bundle")); !os.IsNotExist(err) {
			t.Errorf("bundle left behind in %s (%v)", dir, err)
		}
	}
	drivertest.AssertProcessesGone(t, pids)
}

func TestFingerprintOfThisHost(t *testing.T) {
	d := needRunc(t)
	fp := d.Fingerprint(context.Background())
	b, _ := json.MarshalIndent(fp, "", "  ")
	t.Logf("fingerprint: %s", b)
	if fp.Version == "" || fp.Details["binary"] == "" || fp.Details["cgroups"] == "" {
		t.Fatalf("fingerprint lacks version, binary or cgroups: %+v", fp)
	}
	snap := fp.Details["snapshot"]
	if d.Capabilities().Snapshot != strings.HasPrefix(snap, "attempted: ") || !strings.Contains(snap, "CRIU") {
		t.Errorf("snapshot detail %q does not match the snapshot capability %v", snap, d.Capabilities().Snapshot)
	}
}

func TestFingerprintNamesAMissingBinaryAndItsFix(t *testing.T) {
	d := &Driver{Binary: "runc-that-is-not-installed"}
	fp := d.Fingerprint(context.Background())
	if fp.Available {
		t.Fatal("available without a binary")
	}
	if !strings.Contains(fp.Reason, "runc-that-is-not-installed") || !strings.Contains(fp.Fix, "apt-get install runc") {
		t.Errorf("reason %q / fix %q", fp.Reason, fp.Fix)
	}
}

func TestCapabilitiesAsData(t *testing.T) {
	c := New().Capabilities()
	_, err := exec.LookPath("criu")
	criu := err == nil
	if c.Snapshot != criu || c.Restore != criu || c.RestoreMany != criu || !c.Exec || c.Boundary != "shared-kernel" || c.Control.Programmatic || c.Control.MachineErrors {
		t.Fatalf("capabilities = %+v (criu installed: %v)", c, criu)
	}
	if New().Variant() != "docker/runc" || New().System().Name() != "docker" {
		t.Errorf("variant %q of system %q", New().Variant(), New().System())
	}
}

func TestStartRunsTheProbeAndDestroyLeavesNothing(t *testing.T) {
	d := needRunc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var a drivertest.Attached
	defer a.Close()
	spec := newSpec(t, &a)
	sb, err := d.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	destroyed := false
	defer func() {
		if !destroyed {
			sb.Destroy(context.Background())
		}
	}()
	if a.Calls() != 1 {
		t.Fatalf("Attach called %d times, want once", a.Calls())
	}
	if sb.ID() != spec.ID {
		t.Errorf("ID = %q, want %q", sb.ID(), spec.ID)
	}
	ready, err := a.Stream().Ready(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ready.PID != 1 {
		t.Errorf("probe pid in the sandbox = %d, want 1 (a new pid namespace)", ready.PID)
	}
	if m, err := a.Stream().Request(ctx, "ping"); err != nil || m.Verb != probe.VerbPong {
		t.Fatalf("ping through the stdin pipe: %+v, %v", m, err)
	}

	pids, err := sb.HostPIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pids) == 0 {
		t.Fatal("no host pids")
	}
	if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pids[0])); !strings.HasSuffix(exe, "sandbox-probe") {
		t.Errorf("first host pid %d runs %q, want the probe", pids[0], exe)
	}
	cg, err := sb.MemoryCgroup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(cg, CgroupParent+"/"+spec.ID) {
		t.Errorf("memory cgroup %q is not the sandbox's own", cg)
	}
	procs, err := os.ReadFile(filepath.Join(cg, "cgroup.procs"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains("\n"+string(procs), "\n"+strconv.Itoa(pids[0])+"\n") {
		t.Errorf("probe pid %d not in %s/cgroup.procs: %q", pids[0], cg, procs)
	}

	if err := sb.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	destroyed = true
	if err := sb.Destroy(ctx); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
	assertNothingLeft(t, d, spec.ID, spec.Dir, pids)
}

// TestDestroyAfterAnInterruptedStart cancels Start at several points of
// runc's work (before runc runs, once runc made its state directory, once
// the sandbox's cgroup exists) and checks that Start's own clean-up and a
// later Destroy leave nothing.
func TestDestroyAfterAnInterruptedStart(t *testing.T) {
	d := needRunc(t)
	for _, when := range []string{"attach", "state-dir", "cgroup"} {
		t.Run(when, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var a drivertest.Attached
			defer a.Close()
			spec := newSpec(t, &a)
			cgroups, err := cgroupDirs(spec.ID)
			if err != nil {
				t.Fatal(err)
			}
			watch := map[string]string{
				"state-dir": filepath.Join(d.root(), spec.ID),
				"cgroup":    cgroups[0],
			}[when]
			spec.Attach = func(out io.Reader, in io.Writer) {
				a.Attach(out, in)
				if when == "attach" {
					cancel()
					return
				}
				go func() {
					for ctx.Err() == nil {
						if _, err := os.Stat(watch); err == nil {
							cancel()
							return
						}
						time.Sleep(100 * time.Microsecond)
					}
				}()
			}
			sb, err := d.Start(ctx, spec)
			cancel()
			t.Logf("Start after cancel on %s: %v", when, err)
			if err == nil {
				// runc finished before the cancel landed: a whole sandbox.
				dctx, dcancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer dcancel()
				if err := sb.Destroy(dctx); err != nil {
					t.Fatal(err)
				}
			}
			assertNothingLeft(t, d, spec.ID, spec.Dir, nil)
			if out, _ := exec.Command("pgrep", "-f", "runc.*"+spec.ID).Output(); len(out) > 0 {
				t.Errorf("runc processes of %s left: %s", spec.ID, out)
			}
		})
	}
}

func TestSweepRemovesWhatARunLeft(t *testing.T) {
	d := needRunc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	prefix := testPrefix + "sweep-"
	var ids []string
	var sbs []measure.Sandbox
	for i := range 2 {
		var a drivertest.Attached
		defer a.Close()
		spec := newSpec(t, &a)
		spec.ID = prefix + strconv.Itoa(i)
		sb, err := d.Start(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		sbs = append(sbs, sb)
		ids = append(ids, spec.ID)
		if _, err := a.Stream().Ready(ctx); err != nil {
			t.Fatal(err)
		}
	}
	left, err := d.Leftovers(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		found := false
		for _, l := range left {
			found = found || strings.Contains(l, "runc container "+id+" ")
		}
		if !found {
			t.Errorf("Leftovers(%q) = %q misses %s", prefix, left, id)
		}
	}
	if err := d.Sweep(ctx, prefix); err != nil {
		t.Fatal(err)
	}
	if left, err := d.Leftovers(ctx, prefix); err != nil || len(left) != 0 {
		t.Fatalf("after Sweep: %q, %v", left, err)
	}
	// Destroy after a sweep still succeeds: nothing to do.
	for _, sb := range sbs {
		if err := sb.Destroy(ctx); err != nil {
			t.Errorf("Destroy after Sweep: %v", err)
		}
	}
	if _, err := d.Leftovers(ctx, ""); err == nil {
		t.Error("Leftovers with an empty prefix would list every container")
	}
}

// TestPreparedRunSharesOneRootfs: between Prepare and Close each bundle is
// only a config.json on the run's read-only rootfs; sandboxes started at
// once all come up, and Close removes the rootfs.
func TestPreparedRunSharesOneRootfs(t *testing.T) {
	d := needRunc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	env := measure.RunEnv{RunID: "rtest-shared", Probe: drivertest.Probe(t), Dir: t.TempDir()}
	if err := d.Prepare(ctx, env); err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(env.Dir, sharedRootfsName)
	defer d.Close(ctx)

	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	specs := make([]measure.Spec, n)
	streams := make([]*drivertest.Attached, n)
	for i := range n {
		streams[i] = &drivertest.Attached{}
		specs[i] = newSpec(t, streams[i])
		wg.Add(1)
		go func() {
			defer wg.Done()
			sb, err := d.Start(ctx, specs[i])
			if err == nil {
				_, err = streams[i].Stream().Ready(ctx)
				if derr := sb.Destroy(ctx); err == nil {
					err = derr
				}
			}
			streams[i].Close()
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("sandbox %d: %v", i, err)
		}
		assertNothingLeft(t, d, specs[i].ID, specs[i].Dir, nil)
	}

	// The bundle written under Prepare points at the shared rootfs.
	var a drivertest.Attached
	defer a.Close()
	spec := newSpec(t, &a)
	sb, err := d.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(spec.Dir, "bundle", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"path": "`+shared+`"`) {
		t.Errorf("config.json does not point at the shared rootfs %s", shared)
	}
	if _, err := os.Stat(filepath.Join(spec.Dir, "bundle", "rootfs")); !os.IsNotExist(err) {
		t.Errorf("bundle has a rootfs of its own (%v)", err)
	}
	if err := sb.Destroy(ctx); err != nil {
		t.Fatal(err)
	}

	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(shared); !os.IsNotExist(err) {
		t.Errorf("Close left the shared rootfs (%v)", err)
	}
	// After Close, a sandbox gets a whole bundle again.
	var a2 drivertest.Attached
	defer a2.Close()
	spec2 := newSpec(t, &a2)
	sb2, err := d.Start(ctx, spec2)
	if err != nil {
		t.Fatal(err)
	}
	defer sb2.Destroy(ctx)
	if _, err := os.Stat(filepath.Join(spec2.Dir, "bundle", "rootfs", "sandbox-probe")); err != nil {
		t.Errorf("after Close the bundle has no rootfs: %v", err)
	}
	if _, err := a2.Stream().Ready(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestFailedStartSaysWhyAndLeavesNothing: runc refuses the container (an
// ID outside its allowed characters); Start returns runc's own message and
// removes what it made.
func TestFailedStartSaysWhyAndLeavesNothing(t *testing.T) {
	d := needRunc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var a drivertest.Attached
	defer a.Close()
	spec := newSpec(t, &a)
	spec.ID += ":bad"
	sb, err := d.Start(ctx, spec)
	if err == nil {
		sb.Destroy(ctx)
		t.Fatal("Start with an ID runc refuses succeeded")
	}
	t.Logf("Start: %v", err)
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Command != "run" || !strings.Contains(ce.Message, "invalid container ID format") {
		t.Errorf("error %v does not carry runc's message", err)
	}
	if !strings.Contains(err.Error(), spec.ID) {
		t.Errorf("error %q does not name the sandbox", err)
	}
	if a.Calls() != 1 {
		t.Errorf("Attach called %d times, want once before runc ran", a.Calls())
	}
	assertNothingLeft(t, d, spec.ID, spec.Dir, nil)
}

func TestStartRefusesAnIncompleteSpec(t *testing.T) {
	d := New()
	if _, err := d.Start(context.Background(), measure.Spec{ID: "ae-x-1"}); err == nil {
		t.Fatal("Start without Dir, Probe and Attach succeeded")
	}
}
