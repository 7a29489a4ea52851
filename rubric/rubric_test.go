package rubric

import (
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/probe"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
)

func TestLatencyCurveIsAnchoredOnTheReference(t *testing.T) {
	for _, c := range []struct{ ms, want float64 }{
		{50, 1}, {100, 1}, {1000, 0.5}, {10000, 0}, {60000, 0},
		{316.227766, 0.75}, {70, 1}, {800, 0.548},
	} {
		if got := LatencyScore(c.ms); math.Abs(got-c.want) > 0.001 {
			t.Errorf("LatencyScore(%v ms) = %v, want %v", c.ms, got, c.want)
		}
	}
}

func TestDensityCurveIsAnchoredOnMicroVMClassOverhead(t *testing.T) {
	for _, c := range []struct{ mib, want float64 }{
		{0.6, 1}, {5, 1}, {512, 0}, {2048, 0}, {44, 0.530}, {217, 0.185},
	} {
		if got := DensityScore(c.mib); math.Abs(got-c.want) > 0.001 {
			t.Errorf("DensityScore(%v MiB) = %v, want %v", c.mib, got, c.want)
		}
	}
}

func TestControlChecklistWeightsSumToOne(t *testing.T) {
	if s := ControlProgrammatic + ControlErrors + ControlSchema + ControlLifecycle + ControlToolNative; math.Abs(s-1) > 1e-12 {
		t.Errorf("checklist weights sum to %v", s)
	}
	if s := SnapshotVerified + SnapshotFork + SnapshotSpeed; math.Abs(s-1) > 1e-12 {
		t.Errorf("snapshot parts sum to %v", s)
	}
}

// recorded is a variant result as a run on this project's host wrote it
// (a runc run; figures rounded).
func recorded() results.VariantResult {
	return declared(results.VariantResult{
		System: vms.Docker, Variant: "docker/runc",
		Fingerprint:  driver.Fingerprint{Available: true},
		Capabilities: driver.Capabilities{Control: driver.ControlPlane{Kind: "CLI (OCI runtime)"}},
		StartLatency: &results.Latency{Summary: stats.Summary{N: 20, Median: 72.4}},
		Density:      &results.Density{Started: 50, PerInstanceMiB: stats.Summary{N: 50, Median: 0.7}},
		Isolation: &results.Isolation{Assessment: probe.Assessment{Boundary: vms.BoundarySharedKernel, Observed: true,
			Findings: []probe.Finding{{Severity: vms.SeverityHigh, Finding: "no seccomp filter"}, {Severity: vms.SeverityMedium, Finding: "rootfs writable"}, {Severity: vms.SeverityInfo, Finding: "x"}}}},
		Snapshot: &results.SnapshotResult{Supported: true, Cause: "snapshot failed on this host: criu: vdso: Unexpected rt vDSO area bounds"},
	}, vms.BoundarySharedKernel, vms.OpCreate, vms.OpDestroy)
}

// declared sets a driver's declared boundary and lifecycle operations on
// vr.
func declared(vr results.VariantResult, b vms.Boundary, ops ...vms.Operation) results.VariantResult {
	vr.Capabilities.Boundary = b
	vr.Operations = ops
	return vr
}

func TestScoreMapsARecordedResultOnEveryAxis(t *testing.T) {
	s := Score(recorded())
	want := map[vms.Axis]struct {
		score float64
		prov  Provenance
	}{
		vms.StartLatency: {1, Measured},
		vms.Density:      {1, Measured},
		vms.Isolation:    {0.28, Measured}, // 0.40 - 0.08 - 0.04
		vms.Snapshotting: {SnapshotFailed, Measured},
		vms.AgentControl: {0.133, Checklist}, // 0.40 * 2/6
	}
	if len(s.Axes) != 5 {
		t.Fatalf("scored %d axes, want 5: %+v", len(s.Axes), s.Axes)
	}
	for ax, w := range want {
		got, ok := s.Axis(ax)
		if !ok || math.Abs(got.Score-w.score) > 1e-9 || got.Provenance != w.prov {
			t.Errorf("%s: got %+v, want %v %s", ax, got, w.score, w.prov)
		}
		if got.Basis == "" {
			t.Errorf("%s has no basis", ax)
		}
	}
	if s.Rubric != Version {
		t.Errorf("rubric %q", s.Rubric)
	}
	snap, _ := s.Axis(vms.Snapshotting)
	if !strings.Contains(snap.Basis, "vDSO") {
		t.Errorf("a failed snapshot's basis must carry the cause: %q", snap.Basis)
	}
}

func TestRescoringASavedResultGivesTheSameScores(t *testing.T) {
	first := Score(recorded())
	b, err := json.Marshal(recorded())
	if err != nil {
		t.Fatal(err)
	}
	var back results.VariantResult
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if again := Score(back); !reflect.DeepEqual(first, again) {
		t.Errorf("re-scoring changed the scores:\n%+v\n%+v", first, again)
	}
}

func TestVerifiedForkedSnapshotScoresOnItsRestoreSpeed(t *testing.T) {
	vr := recorded()
	vr.Snapshot = &results.SnapshotResult{Supported: true, SnapshotNS: 110e6, Verified: 5, Forks: 4,
		RestoreNS: []int64{350e6}, Restore: stats.Summary{N: 5, Median: 350}}
	got, _ := Score(vr).Axis(vms.Snapshotting)
	want := SnapshotVerified + SnapshotFork + SnapshotSpeed*LatencyScore(350)
	if math.Abs(got.Score-round(want)) > 1e-9 {
		t.Errorf("snapshot score %v, want %v", got.Score, want)
	}
}

func TestUnobservedBoundaryIsLabelledDeclared(t *testing.T) {
	vr := recorded()
	vr.Isolation.Assessment = probe.Assessment{Boundary: vms.BoundaryHardware, Observed: false}
	got, _ := Score(vr).Axis(vms.Isolation)
	if got.Provenance != Declared || got.Score != 0.95 {
		t.Errorf("got %+v, want declared 0.95 (base plus minimal-surface bonus)", got)
	}
}

func TestUnmeasuredAxesAreAbsentNotZero(t *testing.T) {
	vr := declared(results.VariantResult{System: vms.GVisor, Variant: "gvisor/systrap", Fingerprint: driver.Fingerprint{Available: true}},
		vms.BoundaryUserspaceKernel)
	s := Score(vr)
	if _, ok := s.Axis(vms.StartLatency); ok {
		t.Error("start-latency scored without a measurement")
	}
	iso, ok := s.Axis(vms.Isolation)
	if !ok || iso.Provenance != Declared || iso.Score != 0.6 {
		t.Errorf("isolation without facts: %+v", iso)
	}
}

func TestSnapshotFailureClasses(t *testing.T) {
	enospc := &fs.PathError{Op: "write", Path: "/tmp/ae-x_1/ae-x-000001-snapshot/state.mig", Err: syscall.ENOSPC}
	tests := []struct {
		name         string
		snap         *results.SnapshotResult
		failures     []results.Failure
		wantMeasured bool
		wantScore    float64
		wantClass    results.Class
	}{
		{"criu failure is the result, as before", &results.SnapshotResult{Supported: true, Cause: "snapshot failed on this host: criu failed: type DUMP errno 0", CauseClass: results.ClassRuntime},
			[]results.Failure{{Phase: "snapshot", Cause: "criu failed: type DUMP errno 0", Class: results.ClassRuntime}}, true, SnapshotFailed, ""},
		{"v1 document without classes scores as before", &results.SnapshotResult{Supported: true, Cause: "snapshot failed on this host: criu: vdso"},
			[]results.Failure{{Phase: "snapshot", Cause: "criu: vdso"}}, true, SnapshotFailed, ""},
		{"no space left is not measured", &results.SnapshotResult{Supported: true, Cause: "snapshot failed on this host: the host got in the way, not the runtime: " + enospc.Error(), CauseClass: measure.Classify(enospc)},
			[]results.Failure{{Phase: "snapshot", Cause: enospc.Error(), Class: measure.Classify(enospc)}}, false, 0, results.ClassEnvironment},
		{"a start that timed out is not measured", &results.SnapshotResult{Supported: true, Cause: "could not start the sandbox to snapshot: timed out", CauseClass: results.ClassTimeout},
			nil, false, 0, results.ClassTimeout},
		{"restores that all timed out are not measured", &results.SnapshotResult{Supported: true, SnapshotNS: 2e8, FailedRestores: 2},
			[]results.Failure{{Phase: "snapshot", Cause: "restore: context deadline exceeded", Class: results.ClassTimeout}, {Phase: "snapshot", Cause: "restore: x", Class: results.ClassTimeout}}, false, 0, results.ClassTimeout},
		{"one runtime-class restore failure is scored", &results.SnapshotResult{Supported: true, SnapshotNS: 2e8, FailedRestores: 2},
			[]results.Failure{{Phase: "snapshot", Cause: "restore: timed out", Class: results.ClassTimeout}, {Phase: "snapshot", Cause: "restore: runsc refused", Class: results.ClassRuntime}}, true, SnapshotFailed, ""},
		{"unsupported is measured", &results.SnapshotResult{Cause: "driver cannot snapshot"}, nil, true, SnapshotUnsupported, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vr := recorded()
			vr.Snapshot, vr.Failures = tt.snap, tt.failures
			s := Score(vr)
			got, ok := s.Axis(vms.Snapshotting)
			nm, unmeasured := s.Unmeasured(vms.Snapshotting)
			if ok != tt.wantMeasured || unmeasured == tt.wantMeasured {
				t.Fatalf("measured %v, not-measured %v (%+v): want measured %v", ok, unmeasured, nm, tt.wantMeasured)
			}
			if ok && math.Abs(got.Score-tt.wantScore) > 1e-9 {
				t.Errorf("score %v, want %v", got.Score, tt.wantScore)
			}
			if unmeasured && (nm.Class != tt.wantClass || nm.Reason == "") {
				t.Errorf("not measured as %+v, want class %q with a reason", nm, tt.wantClass)
			}
		})
	}
}

// A gvisor/systrap variant result recorded on this host with TMPDIR on a
// full tmpfs: runsc checkpoint failed with no space left on device.
func TestRecordedENOSPCSnapshotIsNotMeasured(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "gvisor-snapshot-enospc.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vr results.VariantResult
	if err := json.Unmarshal(b, &vr); err != nil {
		t.Fatal(err)
	}
	s := Score(vr)
	if a, ok := s.Axis(vms.Snapshotting); ok {
		t.Errorf("snapshot scored %+v: a full TMPDIR says nothing of runsc", a)
	}
	nm, ok := s.Unmeasured(vms.Snapshotting)
	if !ok || nm.Class != results.ClassEnvironment || !strings.Contains(nm.Reason, "no space left on device") {
		t.Errorf("not measured %+v (%v): want the environment class and the cause", nm, ok)
	}
}

// TestRubric2ScoresTheFirstVerifiedResult pins rubric/2's start-latency:
// the time to the first verified python-hello result where the run has
// one, the ready line (said to be a lower bound) where it has not, and
// rubric/1's ready line for re-scoring older results.
func TestRubric2ScoresTheFirstVerifiedResult(t *testing.T) {
	ready := stats.Summarize([]time.Duration{20 * time.Millisecond, 22 * time.Millisecond, 21 * time.Millisecond})
	first := stats.Summarize([]time.Duration{900 * time.Millisecond, 1000 * time.Millisecond, 1100 * time.Millisecond})
	numpy := stats.Summarize([]time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second})
	vr := results.VariantResult{
		Fingerprint:  driver.Fingerprint{Available: true},
		StartLatency: &results.Latency{Summary: ready},
		Workloads: &results.WorkloadResult{TTI: []results.TimeToInteract{
			{Workload: "python-hello", FirstResult: first, Ready: ready},
			{Workload: "python-numpy", FirstResult: numpy, Ready: ready},
		}},
	}
	start := func(s Scored) AxisScore {
		a, ok := s.Axis(vms.StartLatency)
		if !ok {
			t.Fatal("no start-latency score")
		}
		return a
	}
	v2 := start(Score(vr))
	if v2.Score != LatencyScore(1000) || !strings.Contains(v2.Basis, "first verified python-hello result") {
		t.Errorf("rubric/2: %+v, want the score of 1000 ms to the first result", v2)
	}
	if got := start(ScoreWith(vr, Options{StartWorkload: "python-numpy"})); got.Score != LatencyScore(3000) {
		t.Errorf("rubric/2 on python-numpy: %+v", got)
	}
	v1 := ScoreWith(vr, Options{Version: "rubric/1"})
	if got := start(v1); got.Score != LatencyScore(21) || v1.Rubric != "rubric/1" {
		t.Errorf("rubric/1: %+v under %s, want the ready line's score", got, v1.Rubric)
	}
	vr.Workloads = nil
	if got := start(Score(vr)); got.Score != LatencyScore(21) || !strings.Contains(got.Basis, "lower bound") {
		t.Errorf("rubric/2 without workloads: %+v, want the ready line called a lower bound", got)
	}
	if err := CheckVersion("rubric/9"); err == nil || !strings.Contains(err.Error(), "rubric/1, rubric/2") {
		t.Errorf("CheckVersion(rubric/9) = %v", err)
	}
}
