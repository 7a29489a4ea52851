package measure_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/drivers/runc"
	"github.com/agentic-eval/agentic-eval/image"
	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/workload"
)

// runcSweeps runs the burst ladder and the arrival ladder through real
// runc with small settings, and checks the run left nothing.
func runcSweeps(t *testing.T, until string, img driver.Image) results.VariantResult {
	t.Helper()
	d := runc.New()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if fp := d.Fingerprint(ctx); !fp.Available {
		t.Skipf("runc unavailable here: %s (fix: %s)", fp.Reason, fp.Fix)
	}
	s := results.DefaultSettings()
	s.Phases = []results.Phase{results.PhaseBurst, results.PhaseArrivals}
	s.Burst, s.BurstLadder, s.BurstBudget = 6, []int{1, 3}, time.Minute
	s.SweepUntil = until
	s.Arrivals = results.ArrivalSettings{Rates: []float64{2, 5}, Hold: time.Second, P99Bound: 5 * time.Second, Budget: time.Minute, MaxInFlight: 8, Seed: 7}
	r := measure.NewRunner(s, drivertest.Probe(t))
	r.Image = img
	r.Dir = t.TempDir()
	res, err := r.Run(ctx, []driver.Driver{d})
	if err != nil {
		t.Fatal(err)
	}
	drivertest.AssertNoLeftovers(t, d, r.Prefix())
	if len(res.Systems) != 1 {
		t.Fatalf("systems %+v", res.Systems)
	}
	return res.Systems[0]
}

func checkSweeps(t *testing.T, v results.VariantResult, until string) {
	t.Helper()
	for _, f := range v.Failures {
		t.Errorf("failure: %s: %s (%s)", f.Phase, f.Cause, f.Class)
	}
	sw := v.BurstSweep
	if sw == nil || sw.Until != until || len(sw.Levels) != 3 || sw.StoppedBy != "" {
		t.Fatalf("burst sweep %+v", sw)
	}
	for i, l := range sw.Levels {
		want := []int{1, 3, 6}[i]
		if l.K != want || l.Started != want || l.SuccessRate != 1 || len(l.SamplesNS) != want || l.Until != until {
			t.Errorf("level %d: %+v", i, l)
		}
		if l.SpawnsPerSecond <= 0 || l.FirstNS <= 0 || l.FirstNS > l.AllNS || l.P50MS > l.P99MS {
			t.Errorf("level k=%d figures: first %d all %d, %.1f/s, p50 %.1f p99 %.1f", l.K, l.FirstNS, l.AllNS, l.SpawnsPerSecond, l.P50MS, l.P99MS)
		}
		if until != results.UntilReady && len(l.ReadyNS) != want {
			t.Errorf("level k=%d: ready times %v beside the workload's", l.K, l.ReadyNS)
		}
		for j := range l.ReadyNS {
			if l.ReadyNS[j] > l.SamplesNS[j] {
				t.Errorf("level k=%d: ready after the workload's result: %d > %d", l.K, l.ReadyNS[j], l.SamplesNS[j])
			}
		}
	}
	if sw.KneeRule == "" || (sw.Knee == 0) == (sw.KneeNote == "") {
		t.Errorf("knee %d, note %q, rule %q", sw.Knee, sw.KneeNote, sw.KneeRule)
	}
	if h := sw.Harness; h == nil || h.CPUShare <= 0 || h.RSSBytes <= 0 || sw.Levels[2].Harness != h {
		t.Errorf("harness cost of the largest level: %+v", h)
	}
	t.Logf("burst: knee %d %s; levels: %s", sw.Knee, sw.KneeNote, levelsLine(sw))

	ar := v.Arrivals
	if ar == nil || ar.Until != until || ar.Seed != 7 || len(ar.Rates) == 0 {
		t.Fatalf("arrivals %+v", ar)
	}
	for i, rt := range ar.Rates {
		if rt.Scheduled != len(measure.PoissonSchedule(measure.ScheduleSource(7, i), rt.Rate, time.Second)) {
			t.Errorf("rate %g: %d scheduled, not the seeded draw's", rt.Rate, rt.Scheduled)
		}
		if rt.Done+rt.Failed+rt.Unfinished != rt.Scheduled || len(rt.SamplesNS) != rt.Done {
			t.Errorf("rate %g: %d done, %d failed, %d unfinished of %d", rt.Rate, rt.Done, rt.Failed, rt.Unfinished, rt.Scheduled)
		}
		for _, ns := range rt.SamplesNS {
			if ns <= 0 {
				t.Errorf("rate %g: a latency from the scheduled arrival of %d ns", rt.Rate, ns)
			}
		}
		if rt.Done > 0 && (rt.Achieved <= 0 || rt.PeakInFlight < 1 || rt.Harness == nil) {
			t.Errorf("rate %g: achieved %.2f/s, peak %d in flight, harness %+v", rt.Rate, rt.Achieved, rt.PeakInFlight, rt.Harness)
		}
		if rt.Held == (rt.Why != "") {
			t.Errorf("rate %g: held %v, why %q", rt.Rate, rt.Held, rt.Why)
		}
	}
	if ar.HighestHeld == 0 && ar.StoppedBy == "" {
		t.Errorf("no rate held and no reason: %+v", ar)
	}
	t.Logf("arrivals: highest held %g/s; %s", ar.HighestHeld, ar.StoppedBy)
}

func levelsLine(sw *results.BurstSweep) string {
	var parts []string
	for _, l := range sw.Levels {
		parts = append(parts, fmt.Sprintf("k=%d %.1f/s p99 %.1f ms", l.K, l.SpawnsPerSecond, l.P99MS))
	}
	return strings.Join(parts, "; ")
}

func TestRuncBurstAndArrivalLaddersToTheReadyLine(t *testing.T) {
	v := runcSweeps(t, results.UntilReady, driver.Image{})
	checkSweeps(t, v, results.UntilReady)
}

func TestRuncBurstAndArrivalLaddersToPythonHello(t *testing.T) {
	img, err := image.Find(image.CacheDir())
	if err != nil {
		t.Skipf("no sandbox image: %v", err)
	}
	v := runcSweeps(t, workload.PythonHello, driver.Image{Key: img.Key, Rootfs: img.Rootfs, Tar: img.Tar, TarBytes: img.TarBytes, RootfsBytes: img.RootfsBytes})
	checkSweeps(t, v, workload.PythonHello)
}
