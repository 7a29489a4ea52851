package evaluate

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
)

func verdictOf(t *testing.T, vs []Verdict, s vms.System) Verdict {
	t.Helper()
	for _, v := range vs {
		if v.System == s {
			return v
		}
	}
	t.Fatalf("no verdict for %s", s)
	return Verdict{}
}

// withP99 is constructed() with docker's start sampled 100 times.
func withP99(p99 float64) *results.Results {
	res := constructed()
	res.Systems[1].StartLatency.Summary.N = 100
	res.Systems[1].StartLatency.Summary.P99 = &p99
	res.Systems[1].Density = &results.Density{Started: 5, PerInstanceMiB: stats.Summary{N: 5, Median: 0.6, Lo: 0.5, Hi: 0.7}}
	return res
}

func TestEachConstraintPassesFailsOrIsUntestedWithItsFigureAndProvenance(t *testing.T) {
	declared := map[vms.System]driver.Capabilities{
		vms.GVisor:      {Boundary: vms.BoundaryUserspaceKernel, Snapshot: true, Restore: true, RestoreMany: true},
		vms.Firecracker: {Boundary: vms.BoundaryHardware},
	}
	for _, c := range []struct {
		name       string
		res        *results.Results
		limits     Constraints
		sys        vms.System
		status     Status
		provenance string
		figure     string
	}{
		{"p50 under the bound, measured", constructed(), Constraints{MaxStartP50MS: 1500}, vms.Docker, Pass, "measured", "median 1000.0 ms"},
		{"p50 over the bound, measured", constructed(), Constraints{MaxStartP50MS: 200}, vms.Docker, Fail, "measured", "probe's ready line (a lower bound"},
		{"p50 of a system not measured is untested", constructed(), Constraints{MaxStartP50MS: 200}, vms.Firecracker, Untested, "none", "binary not found on PATH"},
		{"p50 without results is untested", nil, Constraints{MaxStartP50MS: 200}, vms.Docker, Untested, "none", "no results file"},
		{"p99 from 20 samples is untested", constructed(), Constraints{MaxStartP99MS: 5000}, vms.Docker, Untested, "none", "needs 100 samples or more, docker has 20"},
		{"p99 from 100 samples over the bound", withP99(3000), Constraints{MaxStartP99MS: 2000}, vms.Docker, Fail, "measured", "p99 3000.0 ms"},
		{"isolation observed below the class", constructed(), Constraints{MinIsolation: vms.BoundaryUserspaceKernel}, vms.Docker, Fail, "measured", "shared-kernel (observed by the probe"},
		{"isolation declared for a system not measured", constructed(), Constraints{MinIsolation: vms.BoundaryHardware}, vms.Firecracker, Pass, "declared", "hardware-virtualization (declared"},
		{"isolation with nothing known is untested", constructed(), Constraints{MinIsolation: vms.BoundaryHardware}, vms.Kata, Untested, "none", "no isolation class"},
		{"snapshot declared, not attempted", nil, Constraints{Snapshot: true}, vms.GVisor, Pass, "declared", "one snapshot restores many times (fork)"},
		{"snapshot by a stand-in driver is untested", nil, Constraints{Snapshot: true}, vms.Firecracker, Untested, "none", "curated snapshotting score is 0.80"},
		{"memory under the bound, measured", withP99(1), Constraints{MaxMemoryMiB: 1}, vms.Docker, Pass, "measured", "median 0.60 MiB"},
		{"memory without a density figure is untested", constructed(), Constraints{MaxMemoryMiB: 1}, vms.Docker, Untested, "none", "no density figure"},
		{"runnable: a variant available", constructed(), Constraints{Runnable: true}, vms.Docker, Pass, "measured", "docker was available in run t1"},
		{"runnable: only unavailable variants", constructed(), Constraints{Runnable: true}, vms.Firecracker, Fail, "measured", "binary not found"},
		{"runnable: not tried", constructed(), Constraints{Runnable: true}, vms.GVisor, Untested, "none", "did not try gvisor"},
		{"runnable without results is untested", nil, Constraints{Runnable: true}, vms.Docker, Untested, "none", "no results file"},
		{"obtainable: no public release", nil, Constraints{Obtainable: true}, vms.AetherVM, Fail, "curated", "no public release"},
		{"obtainable: a release with its source", nil, Constraints{Obtainable: true}, vms.Firecracker, Pass, "curated", "github.com/firecracker-microvm/firecracker/releases"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev := Evaluate(c.res, vms.Balanced(), preferred)
			v := verdictOf(t, CheckConstraints(ev, c.limits, Facts{Results: c.res, Declared: declared}), c.sys)
			if len(v.Checks) != 1 {
				t.Fatalf("%d checks, want 1: %+v", len(v.Checks), v.Checks)
			}
			ch := v.Checks[0]
			if ch.Status != c.status || v.Status != c.status || ch.Provenance != c.provenance || !strings.Contains(ch.Figure, c.figure) {
				t.Errorf("check %+v (verdict %s); want %s, provenance %s, a figure saying %q", ch, v.Status, c.status, c.provenance, c.figure)
			}
		})
	}
}

func TestAVerdictFailsOnOneFailureAndIsUntestedOnlyWithoutOne(t *testing.T) {
	ev := Evaluate(constructed(), vms.Balanced(), preferred)
	vs := CheckConstraints(ev, Constraints{MaxStartP50MS: 200, Obtainable: true}, Facts{Results: constructed()})
	if v := verdictOf(t, vs, vms.Docker); v.Status != Fail {
		t.Errorf("docker, obtainable but 1000 ms over a 200 ms bound: %s", v.Status)
	}
	if v := verdictOf(t, vs, vms.Firecracker); v.Status != Untested || len(v.Failing()) != 1 {
		t.Errorf("firecracker, obtainable, start untested: %s, failing %+v", v.Status, v.Failing())
	}
	if v := verdictOf(t, vs, vms.AetherVM); v.Status != Fail {
		t.Errorf("aethervm, not obtainable and untested: %s, want fail", v.Status)
	}
}

func TestRecommendUnderConstraintsRanksOnlyThePassingAndNamesTheRest(t *testing.T) {
	res := constructed()
	ev := Evaluate(res, vms.Balanced(), preferred)
	rec, err := Recommend(ev, RecommendOptions{Constraints: Constraints{MaxStartP50MS: 1500, Runnable: true, Obtainable: true}, Facts: Facts{Results: res}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.System != vms.Docker || len(rec.Ranking) != 1 || len(rec.Constraints.Passing) != 1 || len(rec.Constraints.Excluded) != len(vms.All())-1 {
		t.Fatalf("recommended %s, ranking %+v, constraints %+v", rec.System, rec.Ranking, rec.Constraints)
	}
	if !strings.Contains(strings.Join(rec.Reasons, "\n"), "docker passes every constraint; 1 of 7 systems do") {
		t.Errorf("reasons %q do not say what passed", rec.Reasons)
	}
	_, err = Recommend(ev, RecommendOptions{Constraints: Constraints{MaxStartP50MS: 10}, Facts: Facts{Results: res}})
	if !errors.Is(err, ErrNoSystemPasses) || !strings.Contains(err.Error(), "docker fail start p50 <= 10 ms (measured") {
		t.Errorf("a 10 ms bound: %v", err)
	}
}

func TestRecommendWithoutObtainableSaysFirstThatTheSystemCannotBeHad(t *testing.T) {
	rec, err := Recommend(Evaluate(nil, vms.Balanced(), Options{}), RecommendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.System != vms.AetherVM || rec.Availability.Obtainable ||
		!strings.HasPrefix(rec.Reasons[0], "aethervm cannot be had") || !strings.HasPrefix(rec.Caveats[0], "aethervm cannot be had") {
		t.Errorf("recommended %s; first reason %q, first caveat %q", rec.System, rec.Reasons[0], rec.Caveats[0])
	}
	// The best obtainable system: under rubric/3 cloud-hypervisor's curated
	// 0.76 sits inside the interval firecracker's published bounds allow,
	// so the two tie.
	rec, err = Recommend(Evaluate(nil, vms.Balanced(), Options{}), RecommendOptions{Constraints: Constraints{Obtainable: true}})
	if err != nil || rec.System != vms.CloudHypervisor || !rec.Availability.Obtainable || !slices.Contains(rec.TiedWith, vms.Firecracker) {
		t.Errorf("with obtainable: %s tied with %v (%v)", rec.System, rec.TiedWith, err)
	}
}

func TestRecommendBetweenTiedSystemsSaysTheyTie(t *testing.T) {
	// Under balanced weights gvisor and docker share a curated 0.65: with
	// only their isolation classes declared, every other system's isolation
	// limit is untested, so they are the two left, first and tied.
	ev := Evaluate(nil, vms.Balanced(), Options{})
	declared := map[vms.System]driver.Capabilities{
		vms.GVisor: {Boundary: vms.BoundaryUserspaceKernel}, vms.Docker: {Boundary: vms.BoundarySharedKernel},
	}
	rec, err := Recommend(ev, RecommendOptions{Constraints: Constraints{MinIsolation: vms.BoundarySharedKernel}, Facts: Facts{Declared: declared}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.System != vms.GVisor || len(rec.TiedWith) != 1 || rec.TiedWith[0] != vms.Docker || !strings.Contains(rec.Reasons[0], "gvisor ties with docker") {
		t.Errorf("recommended %s tied with %v; reasons %q", rec.System, rec.TiedWith, rec.Reasons)
	}
}

func TestConstraintsValidateSaysWhatIsValid(t *testing.T) {
	for _, c := range []struct {
		c    Constraints
		says string
	}{
		{Constraints{MaxStartP50MS: -1}, "max start p50 -1 out of range"},
		{Constraints{MaxStartP99MS: 1e12}, "at most 3.6e+06 ms"},
		{Constraints{MaxMemoryMiB: -5}, "max memory -5"},
		{Constraints{MinIsolation: "steel"}, "shared-kernel < software-emulation < userspace-kernel < hardware-virtualization"},
	} {
		if err := c.c.Validate(); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%+v: %v, want %q", c.c, err, c.says)
		}
	}
	if _, err := ParseBoundary("hardware"); err != nil {
		t.Errorf("hardware: %v", err)
	}
}
