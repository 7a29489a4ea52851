package results

import (
	"math"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/stats"
)

func TestPrecisionNoteCountsOnlyMediansWithAnInterval(t *testing.T) {
	tight := stats.SummarizeValues([]float64{100, 101, 102, 100, 101, 99, 100, 102, 101, 100}, "ms")
	wide := stats.SummarizeValues([]float64{50, 150, 60, 140, 70, 130, 80, 120, 90, 110}, "ms")
	few := stats.SummarizeValues([]float64{188.9, 189.0}, "MiB") // close, but no 95% interval
	res := &Results{Systems: []VariantResult{
		{Variant: "a", StartLatency: &Latency{Summary: tight, Stop: &stats.Stop{Reason: stats.StopPrecision, Message: "tight"}},
			Density: &Density{PerInstanceMiB: few}},
		{Variant: "b", StartLatency: &Latency{Summary: wide, Stop: &stats.Stop{Reason: stats.StopOutOfReach, Message: "out of reach: wide"}},
			Workloads: &WorkloadResult{
				TTI:  []TimeToInteract{{Workload: "python-hello", FirstResult: tight}},
				Warm: []WarmExec{{Workload: "python-hello", ExecPath: ExecPathRuntime, Summary: wide}},
			},
			Snapshot: &SnapshotResult{Supported: true}}, // no restore: no median
	}}
	cases := []struct {
		variant, figure string
		within          bool
	}{
		{"a", "start-latency", true},
		{"a", "memory", false},
		{"b", "start-latency", false},
		{"b", "first-result/python-hello", true},
		{"b", "warm/python-hello/runtime", false},
	}
	ms := res.Medians()
	if len(ms) != len(cases) {
		t.Fatalf("%d medians, want %d: %+v", len(ms), len(cases), ms)
	}
	for i, c := range cases {
		if ms[i].Variant != c.variant || ms[i].Figure != c.figure || ms[i].Within(0.10) != c.within {
			t.Errorf("median %d: %s %s within=%v (±%.0f%%); want %s %s within=%v", i, ms[i].Variant, ms[i].Figure, ms[i].Within(0.10), ms[i].HalfWidth*100, c.variant, c.figure, c.within)
		}
	}
	if !math.IsInf(ms[1].HalfWidth, 1) {
		t.Errorf("two samples have a half-width %v; want none (+Inf)", ms[1].HalfWidth)
	}
	met, total, misses := res.PrecisionNote(0.10)
	if met != 2 || total != 5 || len(misses) != 3 {
		t.Fatalf("PrecisionNote = %d of %d, misses %q", met, total, misses)
	}
	if !strings.Contains(misses[0], "no interval (n=2)") || !strings.Contains(misses[1], "out of reach: wide") {
		t.Errorf("misses %q: want the missing interval and the stop's reason named", misses)
	}
}
