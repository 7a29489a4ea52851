package gvisor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/probe"
	"github.com/agentic-eval/agentic-eval/residue"
)

// realDriver returns a driver on platform p with a private runsc root under
// the test's temp dir, or skips with the fingerprint's precise reason.
func realDriver(t *testing.T, p Platform) *Driver {
	t.Helper()
	d := New(p)
	d.Root = filepath.Join(t.TempDir(), "runsc")
	fp := d.Fingerprint(context.Background())
	if !fp.Available {
		t.Skipf("gvisor/%s not available here: %s (fix: %s)", p, fp.Reason, fp.Fix)
	}
	drivertest.Probe(t)
	return d
}

// runID returns a fresh run prefix "ae-<run>-".
func runID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "ae-gvt" + hex.EncodeToString(b) + "-"
}

// attached is a sandbox with the harness's side of its probe.
type attached struct {
	sb     measure.Sandbox
	stream *probe.Stream
}

// specFor returns a spec whose Attach opens a probe.Stream into *s.
func specFor(t *testing.T, prefix string, n int, s **probe.Stream) measure.Spec {
	id := prefix + strconv.Itoa(n)
	return measure.Spec{
		ID:    id,
		Probe: drivertest.Probe(t),
		Dir:   filepath.Join(t.TempDir(), id),
		Attach: func(out io.Reader, in io.Writer) {
			*s = probe.NewStream(out, in)
		},
	}
}

func start(ctx context.Context, t *testing.T, d *Driver, prefix string, n int) attached {
	t.Helper()
	var s *probe.Stream
	spec := specFor(t, prefix, n, &s)
	sb, err := d.Start(ctx, spec)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { sb.Destroy(context.Background()); s.Close() })
	return attached{sb, s}
}

func restore(ctx context.Context, t *testing.T, d *Driver, snap measure.Snapshot, prefix string, n int) attached {
	t.Helper()
	var s *probe.Stream
	spec := specFor(t, prefix, n, &s)
	sb, err := d.Restore(ctx, snap, spec)
	if err != nil {
		t.Fatalf("restore %d: %v", n, err)
	}
	t.Cleanup(func() { sb.Destroy(context.Background()); s.Close() })
	return attached{sb, s}
}

// assertNothingLeft checks runsc's list, the mount table, cgroups and host
// processes for anything named with prefix, and the pids that made up the
// sandboxes.
func assertNothingLeft(ctx context.Context, t *testing.T, d *Driver, prefix string, pids []int) {
	t.Helper()
	left, err := d.Leftovers(ctx, prefix)
	if err != nil {
		t.Fatalf("leftovers: %v", err)
	}
	if len(left) > 0 {
		t.Errorf("left behind: %q", left)
	}
	cs, err := d.list(ctx)
	if err != nil {
		t.Fatalf("runsc list: %v", err)
	}
	if len(cs) != 0 {
		t.Errorf("runsc list under %s: %+v", d.Root, cs)
	}
	mounts, err := host.ReadMountinfo()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mounts {
		if strings.HasPrefix(m.Point, d.Root) {
			t.Errorf("mount left under the runsc root: %s (%s)", m.Point, m.FSType)
		}
	}
	// An independent scan: mounts, cgroups, processes named with the prefix,
	// and any mount under the runsc root.
	rep, err := residue.Scan(residue.Query{Prefix: prefix, Dirs: []string{d.Root}})
	if err != nil {
		t.Fatalf("residue scan: %v", err)
	}
	if !rep.Empty() {
		t.Errorf("residue of the run: %s", rep)
	}
	for _, pid := range pids {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
			if p, ok := parseRunscCmdline(b); ok && p.Root == d.Root {
				t.Errorf("sandbox process %d still runs: %+v", pid, p)
			}
		}
	}
}

func TestSandboxStartsCheckpointsAndRestoresTwiceFromOneImage(t *testing.T) {
	for _, p := range Platforms {
		t.Run(string(p), func(t *testing.T) {
			d := realDriver(t, p)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			prefix := runID(t)

			orig := start(ctx, t, d, prefix, 1)
			ready, err := orig.stream.Ready(ctx)
			if err != nil {
				t.Fatalf("ready: %v", err)
			}
			if ready.PID != 1 {
				t.Errorf("probe pid inside gVisor = %d, want 1 (its own PID namespace)", ready.PID)
			}
			pids, err := orig.sb.HostPIDs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// The Sentry (runsc-sandbox) and the gofer at least.
			if len(pids) < 2 {
				t.Errorf("host pids = %v, want the sandbox, the gofer and stubs", pids)
			}
			cg, err := orig.sb.MemoryCgroup(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("host pids %v, memory cgroup %q", pids, cg)
			if cg != "" {
				procs, err := os.ReadFile(filepath.Join(cg, "cgroup.procs"))
				if err != nil {
					t.Fatalf("memory cgroup %s: %v", cg, err)
				}
				st, err := d.state(ctx, orig.sb.ID())
				if err != nil {
					t.Fatal(err)
				}
				if !hasWord(string(procs), strconv.Itoa(st.Pid)) {
					t.Errorf("sandbox pid %d not in its memory cgroup %s (%q)", st.Pid, cg, procs)
				}
			}

			token := make([]byte, 16)
			rand.Read(token)
			tok := hex.EncodeToString(token)
			if _, err := orig.stream.Request(ctx, "token", "set", tok); err != nil {
				t.Fatalf("token set: %v", err)
			}
			snap, err := d.Snapshot(ctx, orig.sb, filepath.Join(t.TempDir(), "image"))
			if err != nil {
				t.Fatalf("snapshot: %v", err)
			}
			if snap.Bytes <= 0 {
				t.Errorf("snapshot size %d", snap.Bytes)
			}
			if err := orig.sb.Destroy(ctx); err != nil {
				t.Fatalf("destroy checkpointed sandbox: %v", err)
			}

			var forks []attached
			for n := 2; n <= 3; n++ {
				forks = append(forks, restore(ctx, t, d, snap, prefix, n))
			}
			for i, f := range forks {
				if _, err := f.stream.Request(ctx, "ping"); err != nil {
					t.Errorf("restore %d: ping: %v", i+1, err)
				}
				m, err := f.stream.Request(ctx, "token", "get")
				if err != nil {
					t.Errorf("restore %d: token get: %v", i+1, err)
				} else if m.Payload != tok {
					t.Errorf("restore %d holds token %q, want %q", i+1, m.Payload, tok)
				}
				more, err := f.sb.HostPIDs(ctx)
				if err != nil {
					t.Fatal(err)
				}
				pids = append(pids, more...)
			}
			for _, f := range forks {
				if err := f.sb.Destroy(ctx); err != nil {
					t.Errorf("destroy %s: %v", f.sb.ID(), err)
				}
				if err := f.sb.Destroy(ctx); err != nil {
					t.Errorf("second destroy of %s: %v", f.sb.ID(), err)
				}
			}
			assertNothingLeft(ctx, t, d, prefix, pids)
		})
	}
}

func TestRestoredProbeTalksOverTheNewPipesOnly(t *testing.T) {
	d := realDriver(t, Systrap)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	prefix := runID(t)
	orig := start(ctx, t, d, prefix, 1)
	if _, err := orig.stream.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	snap, err := d.Snapshot(ctx, orig.sb, filepath.Join(t.TempDir(), "image"))
	if err != nil {
		t.Fatal(err)
	}
	f := restore(ctx, t, d, snap, prefix, 2)
	if _, err := f.stream.Request(ctx, "ping"); err != nil {
		t.Fatalf("restored probe does not answer on its new pipes: %v", err)
	}
	// The checkpointed sandbox has stopped: its old output ends.
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if _, err := orig.stream.Request(wctx, "ping"); err == nil {
		t.Error("the checkpointed sandbox still answers on the original pipes")
	}
	for _, a := range []attached{orig, f} {
		if err := a.sb.Destroy(ctx); err != nil {
			t.Error(err)
		}
	}
	assertNothingLeft(ctx, t, d, prefix, nil)
}

func TestFailedStartLeavesNothing(t *testing.T) {
	d := realDriver(t, Systrap)
	prefix := runID(t)
	var s *probe.Stream
	spec := specFor(t, prefix, 1, &s)
	spec.Probe = filepath.Join(t.TempDir(), "no-such-probe")
	if _, err := d.Start(context.Background(), spec); err == nil {
		t.Fatal("start with a missing probe succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	spec = specFor(t, prefix, 2, &s)
	if _, err := d.Start(ctx, spec); err == nil {
		t.Fatal("start with an ended context succeeded")
	}
	if s != nil {
		s.Close()
	}
	for _, dir := range []string{filepath.Join(spec.Dir, "bundle")} {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("bundle %s left after a failed start", dir)
		}
	}
	assertNothingLeft(context.Background(), t, d, prefix, nil)
}

func TestSweepRemovesSandboxesARunAbandoned(t *testing.T) {
	d := realDriver(t, Systrap)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	prefix := runID(t)
	var pids []int
	for n := 1; n <= 2; n++ {
		a := start(ctx, t, d, prefix, n)
		if _, err := a.stream.Ready(ctx); err != nil {
			t.Fatal(err)
		}
		p, err := a.sb.HostPIDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, p...)
	}
	left, err := d.Leftovers(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("leftovers before the sweep: %q", left)
	// Two containers, their processes and their cgroups at least.
	if len(left) < 4 {
		t.Errorf("leftovers of two running sandboxes: %q", left)
	}
	if err := d.Sweep(ctx, prefix); err != nil {
		t.Fatalf("sweep: %v", err)
	}
	assertNothingLeft(ctx, t, d, prefix, pids)
}

func TestNullNetNSPinLastsTheRunAndCloseRemovesIt(t *testing.T) {
	d := realDriver(t, Systrap)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	prefix := runID(t)
	if err := d.Prepare(ctx, measure.RunEnv{RunID: strings.TrimSuffix(strings.TrimPrefix(prefix, "ae-"), "-"), Probe: drivertest.Probe(t)}); err != nil {
		t.Fatal(err)
	}
	a := start(ctx, t, d, prefix, 1)
	if _, err := a.stream.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.sb.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if !mounted(t, d.nullNetNSPath()) {
		t.Errorf("within a run, %s was unmounted by Destroy (later starts pay for a new one)", d.nullNetNSPath())
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if mounted(t, d.nullNetNSPath()) {
		t.Errorf("%s still mounted after Close", d.nullNetNSPath())
	}
	assertNothingLeft(ctx, t, d, prefix, nil)
}

func mounted(t *testing.T, path string) bool {
	t.Helper()
	mounts, err := host.ReadMountinfo()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mounts {
		if m.Point == path {
			return true
		}
	}
	return false
}

func TestFingerprintOfTheInstalledRunsc(t *testing.T) {
	d := realDriver(t, Systrap)
	fp := d.Fingerprint(context.Background())
	t.Logf("fingerprint: %+v", fp)
	if fp.Details["linkage"] != "static" || fp.Version == "" || fp.Details["binary"] == "" {
		t.Errorf("fingerprint = %+v", fp)
	}
	// A module build says VERSION_MISSING; the module version names it.
	if fp.Details["runsc_version"] == "VERSION_MISSING" && fp.Version != fp.Details["module_version"] {
		t.Errorf("version %q, want the module version %q", fp.Version, fp.Details["module_version"])
	}
}

func TestFingerprintRefusesADynamicRunsc(t *testing.T) {
	// /bin/sh is a real dynamically linked ELF: the fingerprint must refuse
	// it for the same reason it refuses a cgo-built runsc.
	if interp, err := binaryInterp("/bin/sh"); err != nil || interp == "" {
		t.Skipf("/bin/sh is not a dynamic ELF here (%q, %v)", interp, err)
	}
	d := New(Systrap)
	d.Runsc = "/bin/sh"
	fp := d.Fingerprint(context.Background())
	if fp.Available || !strings.Contains(fp.Reason, "dynamically linked") || !strings.Contains(fp.Fix, "CGO_ENABLED=0") {
		t.Errorf("fingerprint of a dynamic runsc = %+v", fp)
	}
}

func TestFingerprintSaysWhereItLookedForAMissingRunsc(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "runsc")
	t.Setenv(EnvRunsc, missing)
	fp := New(Ptrace).Fingerprint(context.Background())
	if fp.Available || !strings.Contains(fp.Reason, missing) || !strings.Contains(fp.Fix, "setup-gvisor.sh") {
		t.Errorf("fingerprint with a missing runsc = %+v", fp)
	}
}

func TestVariantsAndCapabilities(t *testing.T) {
	if New(Systrap).Variant() != "gvisor/systrap" || New(Ptrace).Variant() != "gvisor/ptrace" {
		t.Error("variants are gvisor/<platform>")
	}
	c := New(Systrap).Capabilities()
	if !c.Snapshot || !c.Restore || !c.RestoreMany || c.Boundary != "userspace-kernel" {
		t.Errorf("capabilities = %+v", c)
	}
}

func TestConcurrentSandboxesStartAndLeaveNothing(t *testing.T) {
	// As in a density run: sandboxes started at once, on a cold root, may
	// each pin a null network namespace (runsc stacks the mounts); all of
	// them must go.
	d := realDriver(t, Systrap)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	prefix := runID(t)
	const n = 4
	type result struct {
		a   attached
		err error
	}
	results := make(chan result, n)
	for i := 1; i <= n; i++ {
		var s *probe.Stream
		spec := specFor(t, prefix, i, &s)
		go func() {
			sb, err := d.Start(ctx, spec)
			if err == nil {
				_, err = s.Ready(ctx)
			}
			results <- result{attached{sb, s}, err}
		}()
	}
	var all []attached
	var pids []int
	for i := 0; i < n; i++ {
		r := <-results
		if r.a.sb != nil {
			all = append(all, r.a)
			p, err := r.a.sb.HostPIDs(ctx)
			if err != nil {
				t.Error(err)
			}
			pids = append(pids, p...)
		}
		if r.err != nil {
			t.Errorf("concurrent start: %v", r.err)
		}
	}
	for _, a := range all {
		if _, err := a.stream.Request(ctx, "ping"); err != nil {
			t.Errorf("%s: %v", a.sb.ID(), err)
		}
	}
	for _, a := range all {
		if err := a.sb.Destroy(ctx); err != nil {
			t.Error(err)
		}
		a.stream.Close()
	}
	assertNothingLeft(ctx, t, d, prefix, pids)
}

func TestStartCutShortAtAnyPointLeavesNothing(t *testing.T) {
	// runsc is killed wherever the deadline finds it (before, during or
	// after creating the sandbox); whichever it was, nothing may remain.
	d := realDriver(t, Systrap)
	prefix := runID(t)
	var failed int
	for i, limit := range []time.Duration{5, 20, 40, 60, 80, 120, 200} {
		ctx, cancel := context.WithTimeout(context.Background(), limit*time.Millisecond)
		var s *probe.Stream
		sb, err := d.Start(ctx, specFor(t, prefix, i, &s))
		cancel()
		if err != nil {
			failed++
		} else if err := sb.Destroy(context.Background()); err != nil {
			t.Errorf("destroy after a start within %v: %v", limit, err)
		}
		if s != nil {
			s.Close()
		}
	}
	t.Logf("%d of 7 starts cut short", failed)
	assertNothingLeft(context.Background(), t, d, prefix, nil)
}
