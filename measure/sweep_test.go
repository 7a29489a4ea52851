package measure

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
)

func level(k int, sps float64) results.BurstLevel {
	if sps == 0 {
		return results.BurstLevel{K: k, Failed: k}
	}
	return results.BurstLevel{K: k, Started: k, AllNS: int64(float64(k) / sps * 1e9), SpawnsPerSecond: sps}
}

func TestKneeIsTheLastLevelBeforeThroughputStopsRisingByTenPercent(t *testing.T) {
	for _, c := range []struct {
		name   string
		levels []results.BurstLevel
		knee   int
		note   string
	}{
		{"rises then flattens", []results.BurstLevel{level(1, 30), level(4, 90), level(16, 95), level(64, 96)}, 4, ""},
		{"rises then falls", []results.BurstLevel{level(1, 30), level(4, 60), level(16, 40)}, 4, ""},
		{"exactly ten percent still rises", []results.BurstLevel{level(1, 10), level(4, 11), level(16, 11.5)}, 4, ""},
		{"flat from the start", []results.BurstLevel{level(1, 30), level(4, 31)}, 1, ""},
		{"still rising at the top", []results.BurstLevel{level(1, 10), level(4, 30), level(16, 80)}, 0, "not reached: throughput still rose at k=16"},
		{"a failed level is a gap, not a zero", []results.BurstLevel{level(1, 10), level(4, 30), level(16, 0), level(64, 31)}, 4, ""},
		{"a gap is skipped, the rise goes on", []results.BurstLevel{level(1, 10), level(4, 0), level(16, 40)}, 0, "not reached: throughput still rose at k=16"},
		{"one level", []results.BurstLevel{level(1, 10)}, 0, "only one level measured (k=1)"},
		{"nothing measured", []results.BurstLevel{level(1, 0), level(4, 0)}, 0, "no level produced"},
	} {
		t.Run(c.name, func(t *testing.T) {
			knee, note := results.Knee(c.levels)
			if knee != c.knee || (c.note == "") != (note == "") || !strings.Contains(note, c.note) {
				t.Errorf("Knee = %d, %q; want %d, %q", knee, note, c.knee, c.note)
			}
		})
	}
}

func TestBurstLevelsClimbTheLadderUpToBurst(t *testing.T) {
	for _, c := range []struct {
		burst  int
		ladder []int
		want   []int
	}{
		{64, nil, []int{1, 4, 16, 64}},
		{48, nil, []int{1, 4, 16, 48}},
		{3, nil, []int{1, 3}},
		{1, nil, []int{1}},
		{0, nil, nil},
		{100, []int{2, 10}, []int{2, 10, 100}},
		{10, []int{2, 10}, []int{2, 10}},
	} {
		s := results.DefaultSettings()
		s.Burst, s.BurstLadder = c.burst, c.ladder
		if got := s.BurstLevels(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("burst %d ladder %v: levels %v, want %v", c.burst, c.ladder, got, c.want)
		}
	}
}

func TestPoissonScheduleIsSeededAndHasTheRate(t *testing.T) {
	a := PoissonSchedule(ScheduleSource(42, 0), 50, 200*time.Second)
	b := PoissonSchedule(ScheduleSource(42, 0), 50, 200*time.Second)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed drew two schedules")
	}
	if c := PoissonSchedule(ScheduleSource(42, 1), 50, 200*time.Second); reflect.DeepEqual(a, c) {
		t.Error("two rates of one run drew the same schedule")
	}
	// 10,000 expected arrivals: the count is within 4 standard deviations
	// (sqrt(10000) = 100) of the mean.
	if n := len(a); math.Abs(float64(n)-10000) > 400 {
		t.Errorf("%d arrivals over 200 s at 50/s, want about 10000", n)
	}
	var gaps []float64
	prev := time.Duration(0)
	for i, off := range a {
		if off < prev || off >= 200*time.Second {
			t.Fatalf("offset %d = %s: not increasing within the hold", i, off)
		}
		gaps = append(gaps, (off - prev).Seconds())
		prev = off
	}
	// Exponential gaps: mean 1/rate, and as many gaps above the mean as
	// e^-1 of them.
	mean, above := 0.0, 0
	for _, g := range gaps {
		mean += g
		if g > 0.02 {
			above++
		}
	}
	mean /= float64(len(gaps))
	if math.Abs(mean-0.02) > 0.001 {
		t.Errorf("mean gap %.4f s, want 0.02", mean)
	}
	if frac := float64(above) / float64(len(gaps)); math.Abs(frac-math.Exp(-1)) > 0.02 {
		t.Errorf("%.3f of gaps above the mean, want e^-1 = 0.368 for exponential gaps", frac)
	}
}

func TestLatencyIsFromTheScheduledArrivalNotFromTheRequest(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	offsets := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond}
	// A runtime that serves one at a time, 150 ms each: the second arrival
	// is sent at 100 ms but served from 150 ms to 300 ms, the third from
	// 300 ms to 450 ms. Measured from their sending (closed loop) each took
	// 150 ms; from their scheduled arrivals they waited 150, 200, 250 ms.
	done := []time.Time{start.Add(150 * time.Millisecond), start.Add(300 * time.Millisecond), start.Add(450 * time.Millisecond)}
	got := FromScheduled(start, offsets, done)
	want := []time.Duration{150 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromScheduled = %v, want %v", got, want)
	}
}

func TestNearestRankP99IsTheMaximumBelowAHundred(t *testing.T) {
	vals := []float64{5, 1, 4, 2, 3}
	if p50, p99 := stats.NearestRank(vals, 0.5), stats.NearestRank(vals, 0.99); p50 != 3 || p99 != 5 {
		t.Errorf("p50 %v p99 %v of %v, want 3 and 5", p50, p99, vals)
	}
	var hundred []float64
	for i := 1; i <= 200; i++ {
		hundred = append(hundred, float64(i))
	}
	if p99 := stats.NearestRank(hundred, 0.99); p99 != 198 {
		t.Errorf("p99 of 1..200 = %v, want 198", p99)
	}
	if stats.NearestRank(nil, 0.99) != 0 {
		t.Error("p99 of nothing is not 0")
	}
}

func TestOldDocumentsSingleBurstReadsAsASweepOfOneLevel(t *testing.T) {
	res, err := results.ReadResultsFile("../testdata/runs/run-crun-runc.json")
	if err != nil {
		t.Fatal(err)
	}
	v := res.Variant("docker/runc")
	if v == nil || v.Burst == nil || v.BurstSweep != nil {
		t.Fatalf("the old document's docker/runc has no single burst: %+v", v)
	}
	sw := v.BurstOf()
	if sw == nil || !sw.Converted || len(sw.Levels) != 1 {
		t.Fatalf("converted reap %+v", sw)
	}
	l := sw.Levels[0]
	if l.K != v.Burst.K || l.Started != v.Burst.Started || l.SpawnsPerSecond != v.Burst.SpawnsPerSecond || l.AllNS != v.Burst.WallNS || l.Until != results.UntilReady {
		t.Errorf("level %+v from burst %+v", l, v.Burst)
	}
	if l.SuccessRate != 1 || l.P99MS <= 0 || l.P50MS > l.P99MS {
		t.Errorf("level rates and percentiles %+v", l)
	}
	if sw.Knee != 0 || !strings.Contains(sw.KneeNote, "only one level") {
		t.Errorf("one level has no knee: %d %q", sw.Knee, sw.KneeNote)
	}
	fresh := &results.VariantResult{BurstSweep: &results.BurstSweep{Until: "python-hello"}}
	if fresh.BurstOf() != fresh.BurstSweep {
		t.Error("a new document's reap is not read as it is")
	}
}

func TestSweepSettingsSayWhatIsValid(t *testing.T) {
	for _, c := range []struct {
		mut  func(*results.Settings)
		want string
	}{
		{func(s *results.Settings) { s.BurstLadder = []int{1, 16, 4} }, "not increasing: want levels such as 1,4,16,64"},
		{func(s *results.Settings) { s.BurstLadder = []int{0, 4} }, "burst ladder level 0 out of range: want 1 to 1000"},
		{func(s *results.Settings) { s.BurstBudget = time.Millisecond }, "burst budget 1ms out of range: want 100ms to 1h"},
		{func(s *results.Settings) { s.SweepUntil = "python-nope" }, `sweep endpoint "python-nope" unknown: want ready or a workload`},
		{func(s *results.Settings) { s.Arrivals.Rates = []float64{4, 2} }, "arrival rates [4 2] are not increasing"},
		{func(s *results.Settings) { s.Arrivals.Rates = []float64{0} }, "arrival rate 0/s out of range: want 0.1 to 1000"},
		{func(s *results.Settings) { s.Arrivals.Hold = time.Millisecond }, "arrival hold 1ms out of range"},
		{func(s *results.Settings) { s.Arrivals.P99Bound = 0 }, "arrival p99 bound 0s out of range"},
		{func(s *results.Settings) { s.Arrivals.MaxInFlight = 0 }, "arrivals in flight 0 out of range: want 1 to 1000"},
		{func(s *results.Settings) { s.Arrivals.Rates, s.Arrivals.Hold = []float64{1000}, time.Minute }, "want at most 10000 per rate"},
	} {
		s := results.DefaultSettings()
		c.mut(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	s := results.DefaultSettings()
	s.SweepUntil = results.UntilReady
	if err := s.Validate(); err != nil {
		t.Errorf("sweeps until the ready line: %v", err)
	}
}

func TestParseProcStatusMemory(t *testing.T) {
	st, err := parseProcStatusMemory([]byte("Name:\tagentic-eval\nVmHWM:\t   45000 kB\nVmRSS:\t   41000 kB\nThreads:\t9\n"))
	if err != nil || st.rss != 41000<<10 || st.hwm != 45000<<10 {
		t.Errorf("got %+v, %v", st, err)
	}
	for _, bad := range []string{"VmRSS:\t1 MB\nVmHWM:\t2 kB\n", "Name:\tx\n", "VmRSS:\t-1 kB\nVmHWM:\t2 kB\n"} {
		if _, err := parseProcStatusMemory([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestHarnessCostOfThisProcess(t *testing.T) {
	m := startCost()
	deadline := time.Now().Add(50 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	c := m.stop(2)
	if c == nil {
		t.Fatal("no cost read")
	}
	if c.UserNS+c.SystemNS <= 0 || c.CPUShare <= 0 || c.RSSBytes <= 0 || c.PeakRSSBytes < c.RSSBytes || c.Cores != 2 {
		t.Errorf("a busy loop's cost %+v", c)
	}
}
