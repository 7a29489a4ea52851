package report_test

import (
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/drivers/registry"
	"github.com/agentic-eval/agentic-eval/report"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/vms"
)

// sweepRun is a recorded real run of the burst and arrival phases through
// runc, crun, gVisor, Docker and QEMU under TCG on this machine kind.
const sweepRun = "testdata/sweep-run.json"

// TestSweepChartsOfARecordedRun: every measured variant gets its
// throughput chart, one point per level that produced a figure, and its
// arrival chart, p50 and p99 per rate done, with the bound drawn.
func TestSweepChartsOfARecordedRun(t *testing.T) {
	res, err := results.ReadResultsFile(sweepRun)
	if err != nil {
		t.Fatal(err)
	}
	_, doc := render(t, report.Options{Results: res, ResultsPath: sweepRun, Weights: vms.Balanced(), Preferred: registry.Preferred()})
	for _, v := range res.Systems {
		name := strings.ReplaceAll(v.Variant, "/", "-")
		sw, a := v.BurstSweep, v.Arrivals
		if sw == nil || a == nil {
			t.Fatalf("%s: the recorded run has no sweeps", v.Variant)
		}
		measured := 0
		for _, l := range sw.Levels {
			if l.Measured() {
				measured++
			}
		}
		burst := byID(t, doc, "burst-"+name)
		if got := len(find(burst, tag("circle"))); got != measured {
			t.Errorf("%s: %d points on the throughput chart, want %d levels", v.Variant, got, measured)
		}
		if sw.Knee > 0 && !strings.Contains(textOf(burst), "knee k=") {
			t.Errorf("%s: the knee at k=%d is not drawn", v.Variant, sw.Knee)
		}
		done := 0
		for _, r := range a.Rates {
			if r.Done > 0 || r.Unfinished > 0 {
				done++
			}
		}
		arr := byID(t, doc, "arrivals-"+name)
		if c, s := len(find(arr, tag("circle"))), len(find(arr, tag("rect"))); c != done || s != done {
			t.Errorf("%s: %d p50 and %d p99 points, want %d rates", v.Variant, c, s, done)
		}
		if !strings.Contains(textOf(arr), "p99 bound 1s") {
			t.Errorf("%s: no bound on the arrival chart", v.Variant)
		}
	}
	figures := textOf(byID(t, doc, "figures"))
	for _, want := range []string{"knee k=16", "32/s held (p99 < 1s)", "% of a core"} {
		if !strings.Contains(figures, want) {
			t.Errorf("the summary table lacks %q:\n%s", want, figures)
		}
	}
}
