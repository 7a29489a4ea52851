package report

import (
	"strconv"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/results"
)

func fy(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("coordinate %q: %v", s, err)
	}
	return v
}

// TestThroughputChartDrawsLevelsGapsAndTheKnee: a point per measured
// level, higher throughput higher on the plot, a failed level a gap on the
// axis (never a point at zero), and the knee's line at its level.
func TestThroughputChartDrawsLevelsGapsAndTheKnee(t *testing.T) {
	sw := &results.BurstSweep{Until: "python-hello", Knee: 4, Levels: []results.BurstLevel{
		{K: 1, Started: 1, AllNS: 50e6, SpawnsPerSecond: 20},
		{K: 4, Started: 4, AllNS: 80e6, SpawnsPerSecond: 50},
		{K: 16, Failed: 16, Failures: []results.Failure{{Cause: "no space left on device", Class: results.ClassEnvironment}}},
		{K: 64, Started: 64, AllNS: 1200e6, SpawnsPerSecond: 53},
	}}
	c := throughputChart("docker/runc", sw)
	if c == nil || len(c.Series) != 1 || len(c.Series[0].Points) != 3 || len(c.Gaps) != 1 || len(c.XTicks) != 4 {
		t.Fatalf("chart %+v: want 3 points, 1 gap, 4 ticks", c)
	}
	p := c.Series[0].Points
	if !(fy(t, p[1].Y) < fy(t, p[0].Y)) {
		t.Errorf("50/s drawn at y %s, not above 20/s at %s", p[1].Y, p[0].Y)
	}
	if !(fy(t, p[0].X) < fy(t, p[1].X) && fy(t, p[1].X) < fy(t, p[2].X)) {
		t.Errorf("levels not left to right: %+v", p)
	}
	if g := c.Gaps[0]; g.X != c.XTicks[2].X || !strings.Contains(g.Title, "no space left") {
		t.Errorf("gap %+v: want at k=16 with its cause", g)
	}
	if len(c.Lines) != 1 || c.Lines[0].X1 != c.XTicks[1].X || !strings.Contains(c.Lines[0].Label, "knee k=4") {
		t.Errorf("knee line %+v, want at k=4", c.Lines)
	}
	if throughputChart("x", nil) != nil || throughputChart("x", &results.BurstSweep{}) != nil {
		t.Error("a chart without levels")
	}
}

// TestArrivalChartDrawsPercentilesAgainstTheBound: p50 and p99 per rate,
// p99 above p50, and the bound's line between a rate under it and one over.
func TestArrivalChartDrawsPercentilesAgainstTheBound(t *testing.T) {
	a := &results.ArrivalSweep{Until: "ready", BoundNS: 1e9, HighestHeld: 8, Rates: []results.ArrivalRate{
		{Rate: 4, Scheduled: 6, Done: 6, P50MS: 40, P99MS: 90, Held: true},
		{Rate: 8, Scheduled: 12, Done: 12, P50MS: 50, P99MS: 300, Held: true},
		{Rate: 16, Scheduled: 25, Done: 20, Unfinished: 5, P50MS: 700, P99MS: 2500, P99LowerBound: true, Why: "5 of 25 arrivals were not done"},
	}}
	c := arrivalChart("docker/runc", a)
	if c == nil || len(c.Series) != 2 || len(c.Series[0].Points) != 3 || len(c.Series[1].Points) != 3 {
		t.Fatalf("chart %+v: want p50 and p99 at 3 rates", c)
	}
	p50, p99 := c.Series[0].Points, c.Series[1].Points
	for i := range p50 {
		if !(fy(t, p99[i].Y) < fy(t, p50[i].Y)) {
			t.Errorf("rate %d: p99 at y %s not above p50 at %s", i, p99[i].Y, p50[i].Y)
		}
	}
	bound := fy(t, c.Lines[0].Y1)
	if !(fy(t, p99[1].Y) > bound && fy(t, p99[2].Y) < bound) {
		t.Errorf("bound at y %.1f: p99 of 300 ms at %s should be under it, 2.5 s at %s over it", bound, p99[1].Y, p99[2].Y)
	}
	if !strings.Contains(p99[2].Title, "at least") || !strings.Contains(c.Note, "highest rate held 8/s") {
		t.Errorf("censored p99 title %q, note %q", p99[2].Title, c.Note)
	}
}

func TestBurstSettingOfAnOlderDocumentIsItsSingleBurst(t *testing.T) {
	old := results.Settings{Burst: 8}
	if got := burstSetting(old); got != "8 spawns at once (a single burst, before the ladder)" {
		t.Errorf("older settings read %q", got)
	}
	if got := burstSetting(results.DefaultSettings()); got != "ladder 1, 4, 16, 64 spawns at once, until python-hello, 3s per variant" {
		t.Errorf("default settings read %q", got)
	}
}
