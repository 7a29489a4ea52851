package report

import (
	"strconv"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
)

func sum(ms ...float64) stats.Summary {
	var ds []time.Duration
	for _, m := range ms {
		ds = append(ds, time.Duration(m*float64(time.Millisecond)))
	}
	return stats.Summarize(ds)
}

// TestWaterfallStepsFollowEachOther: one row per variant with a
// python-hello time to interactive, four segments laid end to end from the
// request; a runtime that returns after the ready line gets an empty
// ready segment, never a negative one.
func TestWaterfallStepsFollowEachOther(t *testing.T) {
	res := &results.Results{Systems: []results.VariantResult{
		{Variant: "docker/runc", Workloads: &results.WorkloadResult{TTI: []results.TimeToInteract{
			{Workload: "python-hello", Returned: sum(25), Ready: sum(20), FirstResult: sum(30), SecondResult: sum(40)},
			{Workload: "cpu", Returned: sum(25), Ready: sum(20), FirstResult: sum(300), SecondResult: sum(400)},
		}}},
		{Variant: "qemu-kvm/tcg", Workloads: &results.WorkloadResult{Cause: "does not run the image"}},
	}}
	c := waterfallChart(res)
	if c == nil || len(c.Rows) != 1 || len(c.Rows[0].Bars) != 4 {
		t.Fatalf("waterfall %+v: want one row of four segments", c)
	}
	end := 0.0
	for i, b := range c.Rows[0].Bars {
		x, _ := strconv.ParseFloat(b.X, 64)
		w, _ := strconv.ParseFloat(b.W, 64)
		if w < 0 || (i > 0 && x+0.11 < end) {
			t.Errorf("segment %d at %v width %v after %v: not laid end to end", i, x, w, end)
		}
		end = x + w
	}
	if w, _ := strconv.ParseFloat(c.Rows[0].Bars[1].W, 64); w != 0 {
		t.Errorf("the ready segment of a runtime that returned after the ready line is %v wide, want 0", w)
	}
	if waterfallChart(&results.Results{}) != nil {
		t.Error("a run without workloads has a waterfall")
	}
}
