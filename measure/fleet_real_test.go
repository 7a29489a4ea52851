package measure_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/drivers/runc"
	"github.com/agentic-eval/agentic-eval/image"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/probebin"
	"github.com/agentic-eval/agentic-eval/residue"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
)

// runFleetPhases runs the density fill and the churn loop through the real
// runc with small bounds, and proves the run left nothing.
func runFleetPhases(t *testing.T, mut func(*results.Settings), withImage bool) *results.VariantResult {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("not root: runc sandboxes and their cgroups need root")
	}
	d := runc.New()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if fp := d.Fingerprint(ctx); !fp.Available {
		t.Skipf("runc unavailable here: %s (fix: %s)", fp.Reason, fp.Fix)
	}
	probe, err := probebin.Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := results.DefaultSettings()
	s.Phases = []results.Phase{results.PhaseDensity, results.PhaseChurn}
	mut(&s)
	r := measure.NewRunner(s, probe)
	r.Dir = t.TempDir()
	if withImage {
		img, err := image.Find(image.CacheDir())
		if err != nil {
			t.Skipf("no sandbox image: %v", err)
		}
		r.Image = driver.Image{Key: img.Key, Rootfs: img.Rootfs, Tar: img.Tar, TarBytes: img.TarBytes, RootfsBytes: img.RootfsBytes}
	}
	res, err := r.Run(ctx, []driver.Driver{d})
	if err != nil {
		t.Fatal(err)
	}
	left, err := d.Leftovers(ctx, r.Prefix())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := residue.Scan(residue.Query{Prefix: r.Prefix() + "-", Globs: []string{filepath.Join(r.Dir, r.Prefix()+"*")}})
	if err != nil {
		t.Fatal(err)
	}
	if left = append(left, rep.Lines()...); len(left) > 0 {
		t.Errorf("the run left:\n%s", strings.Join(left, "\n"))
	}
	v := res.Variant(d.Variant())
	for _, f := range v.Failures {
		t.Errorf("failure: %s %s: %s", f.Phase, f.Sandbox, f.Cause)
	}
	return v
}

// A short churn of python-hello cycles through runc: every cycle verified,
// the drift tested on a tenth (at least 5) at each end, and nothing of
// the run's own on the host after the loop. The time budget is out of
// reach (the test's own guard ends first), so that the count stops the
// loop on a slow or busy machine too.
func TestChurnThroughRunc(t *testing.T) {
	v := runFleetPhases(t, func(s *results.Settings) {
		s.Phases = []results.Phase{results.PhaseChurn}
		s.Churn, s.ChurnTime = 30, time.Hour
	}, true)
	c := v.Churn
	if c == nil || c.Cycles != 30 || c.Failed != 0 || c.Workload != "python-hello" || c.StoppedBy != "count: 30 cycles" {
		t.Fatalf("churn %+v", c)
	}
	if len(c.ResultNS) != 30 || len(c.TeardownNS) != 30 || c.Result.N != 30 {
		t.Errorf("samples: %d results, %d teardowns", len(c.ResultNS), len(c.TeardownNS))
	}
	if len(c.Drift) != 2 || c.Drift[0].Series != "first-result" || c.Drift[0].K != 5 || c.Drift[0].Verdict == stats.DriftTooFew {
		t.Errorf("drift %+v", c.Drift)
	}
	if c.Before == nil || c.After == nil || c.Residue == nil {
		t.Fatalf("no host states: %s", c.HostStateError)
	}
	if len(c.Residue.Own) != 0 {
		t.Errorf("the loop left objects of its own: %v", c.Residue.Own)
	}
	t.Logf("churn: %s; %s; host-wide findings: %v", c.Drift[0], c.Drift[1], c.Residue.Findings)
}

// A churn bounded by time stops at its budget; without the image each
// cycle pings the probe and says why. How many cycles fit is the
// machine's speed: a loop stopped short of the drift test's cycles (a
// slow or busy machine) says so.
func TestChurnStopsAtItsTimeBudget(t *testing.T) {
	v := runFleetPhases(t, func(s *results.Settings) {
		s.Phases = []results.Phase{results.PhaseChurn}
		s.Churn, s.ChurnTime = results.MaxChurn, 500*time.Millisecond
	}, false)
	c := v.Churn
	if c == nil || c.Cycles >= results.MaxChurn || c.StoppedBy != "time budget: 500ms" || c.Workload != "ping" || c.WorkloadCause == "" {
		t.Fatalf("churn %+v", c)
	}
	tooFew := strings.Contains(strings.Join(c.Warnings, "\n"), "too few cycles for a drift test")
	if short := c.Cycles < stats.DriftMinCycles; tooFew != short {
		t.Errorf("%d cycles (the drift test needs %d): warns of too few %v, want %v; warnings %q", c.Cycles, stats.DriftMinCycles, tooFew, short, c.Warnings)
	}
	t.Logf("%d cycles in the 500ms budget", c.Cycles)
}

// A small fill through runc to a cap of 8: a reading per
// batch, a slope over them, the accounting beside it, its projection, and
// KSM's state. The fill's other stops are inputs here, out of reach: no
// memory guard (a host short of free memory would stop it early) and a
// time bound the test's own guard ends first (a slow or busy machine
// would).
func TestFillThroughRunc(t *testing.T) {
	v := runFleetPhases(t, func(s *results.Settings) {
		s.Phases = []results.Phase{results.PhaseDensity}
		s.Density, s.FillConcurrency = 8, 4
		s.MinAvailable, s.DensityTime = 0, time.Hour
	}, false)
	d := v.Density
	if d == nil || d.Started != 8 || d.PerInstanceMiB.N != 8 || d.Capacity == nil {
		t.Fatalf("density %+v", d)
	}
	c := d.Capacity
	// A cap of 8 is filled 2 at a time (a quarter of it), the first batch
	// a core's worth of sandboxes each up to that: 0, 2, 4, 6, 8 held on
	// two cores or more, 0, 1, 3, 5, 7, 8 on one.
	want := []int{0}
	for held, batch := 0, min(runtime.NumCPU(), 2); held < 8; batch = 2 {
		held = min(held+batch, 8)
		want = append(want, held)
	}
	var got []int
	for _, p := range c.Points {
		got = append(got, p.Held)
	}
	if !slices.Equal(got, want) || c.Concurrency != 2 || c.Held != 8 {
		t.Errorf("held at each reading %v, want %v (concurrency %d); points %+v", got, want, c.Concurrency, c.Points)
	}
	if c.Fit == nil || c.Fit.N != len(want) {
		t.Errorf("fit %+v (%s)", c.Fit, c.FitError)
	}
	if a := c.ByAccounting; a.MiBPerSandbox <= 0 || a.PerGiB <= 0 || a.HostProjection <= 0 {
		t.Errorf("accounting projection %+v", a)
	}
	if !strings.HasPrefix(d.StoppedBy, "cap: 8 held") && !strings.HasPrefix(d.StoppedBy, "stable slope") {
		t.Errorf("stopped by %q", d.StoppedBy)
	}
	if _, err := os.Stat("/sys/kernel/mm/ksm"); err == nil && (!c.KSMBefore.Available || !c.KSMAfter.Available) {
		t.Errorf("KSM not read: %+v %+v", c.KSMBefore, c.KSMAfter)
	}
	t.Logf("fill: %d held, slope %+v, by accounting %.2f MiB, %.0f per GiB, %d on this host; KSM %s", c.Held, c.Fit, c.ByAccounting.MiBPerSandbox, c.ByAccounting.PerGiB, c.ByAccounting.HostProjection, c.KSMAfter.State())
}
