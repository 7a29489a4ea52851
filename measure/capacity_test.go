package measure

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestFitSlopeOfPointsOnALineIsExact(t *testing.T) {
	fit, err := stats.FitSlope([]float64{0, 4, 8, 12}, []float64{100, 108, 116, 124})
	if err != nil {
		t.Fatal(err)
	}
	if fit.N != 4 || !near(fit.Slope, 2, 1e-12) || !near(fit.Intercept, 100, 1e-9) || !near(fit.Lo, 2, 1e-9) || !near(fit.Hi, 2, 1e-9) || fit.ResidualSD > 1e-9 || !near(fit.R2, 1, 1e-12) {
		t.Errorf("fit %+v", fit)
	}
}

func TestFitSlopeRefusesWhatHasNoSlope(t *testing.T) {
	for _, c := range []struct {
		name   string
		xs, ys []float64
		want   string
	}{
		{"two points", []float64{0, 1}, []float64{0, 1}, "2 points, need at least 3"},
		{"one x", []float64{4, 4, 4}, []float64{1, 2, 3}, "two distinct x values"},
		{"unequal lengths", []float64{0, 1, 2}, []float64{0, 1}, "3 x values against 2 y values"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := stats.FitSlope(c.xs, c.ys); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want %q", err, c.want)
			}
		})
	}
}

func recordedFill(t *testing.T) []results.FillPoint {
	t.Helper()
	b, err := os.ReadFile("testdata/fill-gvisor-systrap.json")
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Points []results.FillPoint `json:"points"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	return rec.Points
}

// A recorded gVisor fill of 24 sandboxes, 4 at a time, on a shared host:
// the slope, its interval from t(5) and the residuals' spread, as an
// independent computation (the normal equations by hand) has them.
func TestFitOfARecordedGVisorFill(t *testing.T) {
	fit, err := FitPoints(recordedFill(t))
	if err != nil {
		t.Fatal(err)
	}
	if fit.N != 7 || !near(fit.Slope, 7.6366, 1e-3) || !near(fit.Intercept, 999.646, 1e-2) ||
		!near(fit.Lo, 3.0615, 1e-3) || !near(fit.Hi, 12.2118, 1e-3) || !near(fit.ResidualSD, 37.672, 1e-2) {
		t.Errorf("fit %+v", fit)
	}
	if SlopeStable(fit, 24) {
		t.Errorf("±%.1f MiB on a slope of %.1f is not stable", fit.HalfWidth(), fit.Slope)
	}
}

func TestSlopeStableRule(t *testing.T) {
	for _, c := range []struct {
		name string
		fit  stats.Slope
		held int
		want bool
	}{
		{"tight, enough held", stats.Slope{N: 5, Slope: 200, Lo: 190, Hi: 210}, 16, true},
		{"tight, too few held", stats.Slope{N: 5, Slope: 200, Lo: 195, Hi: 205}, 7, false},
		{"tight, too few points", stats.Slope{N: 3, Slope: 200, Lo: 195, Hi: 205}, 8, false},
		{"just past 10%", stats.Slope{N: 5, Slope: 200, Lo: 179, Hi: 221}, 16, false},
		{"small cost, within 0.5 MiB", stats.Slope{N: 7, Slope: 0.9, Lo: 0.45, Hi: 1.35}, 24, true},
		{"small cost, past 0.5 MiB", stats.Slope{N: 7, Slope: 0.9, Lo: 0.3, Hi: 1.5}, 24, false},
		{"negative slope, wide", stats.Slope{N: 7, Slope: -1, Lo: -4, Hi: 2}, 24, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := SlopeStable(c.fit, c.held); got != c.want {
				t.Errorf("SlopeStable(%+v, %d) = %v", c.fit, c.held, got)
			}
		})
	}
}

func TestFillBatchLeavesFourReadingsToASmallFill(t *testing.T) {
	for _, c := range []struct{ conc, capN, want int }{
		{4, 24, 4}, {4, 8, 2}, {4, 4, 1}, {4, 1, 1}, {8, 10000, 8}, {1, 24, 1},
	} {
		if got := FillBatch(c.conc, c.capN); got != c.want {
			t.Errorf("FillBatch(%d, %d) = %d, want %d", c.conc, c.capN, got, c.want)
		}
	}
}

func TestPacedBatchStartsWithACoreEachAndTradesConcurrencyForReadings(t *testing.T) {
	const s = time.Second
	for _, c := range []struct {
		name           string
		cores          int
		held, readings int
		elapsed, bound time.Duration
		want           int
	}{
		{"one core: the first sandbox alone", 1, 0, 0, 0, 20 * s, 1},
		{"two cores: two first", 2, 0, 0, 0, 20 * s, 2},
		{"more cores than the batch: the batch first", 8, 0, 0, 0, 20 * s, 4},
		{"fast starts: the whole batch", 1, 1, 1, s / 5, 20 * s, 4},
		{"a slow guest on a busy host: one at a time", 1, 1, 1, 7 * s, 20 * s, 1},
		{"a slow guest on two cores: never fewer than two", 2, 2, 1, 7 * s, 20 * s, 2},
		{"a guest at 2.5 s: two at a time", 1, 1, 1, 5 * s / 2, 20 * s, 2},
		{"enough readings: the whole batch", 2, 9, 4, 10 * s, 20 * s, 4},
		{"past the bound", 2, 4, 2, 21 * s, 20 * s, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := PacedBatch(4, c.cores, c.held, c.readings, c.elapsed, c.bound); got != c.want {
				t.Errorf("PacedBatch(4, %d, %d, %d, %v, %v) = %d, want %d", c.cores, c.held, c.readings, c.elapsed, c.bound, got, c.want)
			}
		})
	}
}

func TestNextBatchStopsAtTheCapAndTheGuard(t *testing.T) {
	const m = int64(mib)
	for _, c := range []struct {
		name               string
		conc, held, capN   int
		avail, guard, next int64
		want               int
		why                string
	}{
		{"a full batch", 4, 0, 24, 20000 * m, 5000 * m, 64 * m, 4, ""},
		{"the cap's remainder", 4, 22, 24, 20000 * m, 5000 * m, 64 * m, 2, ""},
		{"at the cap", 4, 24, 24, 20000 * m, 5000 * m, 64 * m, 0, "cap"},
		{"room for two above the guard", 4, 40, 10000, 5000*m + 650*m, 5000 * m, 217 * m, 2, ""},
		{"no room above the guard", 4, 60, 10000, 5000*m + 100*m, 5000 * m, 217 * m, 0, "guard"},
		{"already under the guard", 4, 60, 10000, 4000 * m, 5000 * m, 217 * m, 0, "guard"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, why := NextBatch(c.conc, c.held, c.capN, c.avail, c.guard, c.next)
			if n != c.want || why != c.why {
				t.Errorf("NextBatch = %d, %q; want %d, %q", n, why, c.want, c.why)
			}
		})
	}
}

// The projection of a cost: sandboxes per GiB with the interval's bounds
// swapped (a dearer sandbox fits fewer), and the host's memory above the
// guard; none when the cost's interval includes zero.
func TestProjectACostToTheHost(t *testing.T) {
	const gib = int64(1 << 30)
	p := results.Project("slope", 200, 180, 220, 24*gib, 20*gib, 4*gib)
	if !near(p.PerGiB, 5.12, 1e-9) || !near(p.PerGiBLo, 1024.0/220, 1e-9) || !near(p.PerGiBHi, 1024.0/180, 1e-9) ||
		p.FitsFromStart != 81 || p.HostProjection != 102 || p.Cause != "" {
		t.Errorf("projection %+v", p)
	}
	if p := results.Project("slope", 1.15, -1.97, 4.27, 24*gib, 20*gib, 4*gib); p.Cause == "" || p.HostProjection != 0 || !strings.Contains(p.Cause, "includes zero") {
		t.Errorf("an interval through zero: %+v", p)
	}
	if p := results.Project("slope", -0.2, -3, 2, 24*gib, 20*gib, 4*gib); p.Cause == "" || p.PerGiB != 0 {
		t.Errorf("a negative cost: %+v", p)
	}
}
