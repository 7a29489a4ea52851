package stats

import (
	"encoding/json"
	"math"
	"os"
	"testing"
	"time"
)

func TestDriftGroupIsATenthOfTheLoopAndAtLeastFive(t *testing.T) {
	for _, c := range []struct{ n, k int }{
		{0, 0}, {9, 0}, {10, 5}, {49, 5}, {50, 5}, {59, 5}, {60, 6}, {119, 11}, {1000, 100}, {5000, 500},
	} {
		if got := DriftGroup(c.n); got != c.k {
			t.Errorf("DriftGroup(%d) = %d, want %d", c.n, got, c.k)
		}
	}
}

func recordedChurn(t *testing.T) (result, teardown []float64) {
	t.Helper()
	b, err := os.ReadFile("testdata/churn-runc-python-hello.json")
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		ResultNS   []int64 `json:"result_ns"`
		TeardownNS []int64 `json:"teardown_ns"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	return Millis(durations(rec.ResultNS)), Millis(durations(rec.TeardownNS))
}

// A recorded runc loop of python-hello cycles shows no drift; the same
// loop whose last tenth replays its first tenth twice as slow does (and
// twice as fast, a warm-up); a significant change of 3% is too small to
// count.
func TestDriftOnARecordedLoop(t *testing.T) {
	result, _ := recordedChurn(t)
	n := len(result)
	d := DriftOf("first-result", result, "ms")
	if d.N != n || d.K != n/10 || d.Verdict != DriftNone || d.P < d.Alpha {
		t.Errorf("recorded loop: %s", d)
	}
	scaled := func(f float64) []float64 {
		out := append([]float64(nil), result...)
		k := DriftGroup(n)
		for i := 0; i < k; i++ {
			out[n-k+i] = result[i] * f
		}
		return out
	}
	if d := DriftOf("first-result", scaled(2), "ms"); d.Verdict != DriftSlower || d.P >= d.Alpha || d.ChangePct < 90 {
		t.Errorf("last tenth twice as slow: %s", d)
	}
	if d := DriftOf("first-result", scaled(0.5), "ms"); d.Verdict != DriftFaster || d.ChangePct > -40 {
		t.Errorf("last tenth twice as fast: %s", d)
	}
	steady := make([]float64, 100)
	for i := range steady {
		steady[i] = 30 + float64(i%7)*0.1 // the same values in every tenth
	}
	for i := 90; i < 100; i++ {
		steady[i] += 0.9 // all above the first tenth, by 3%
	}
	if d := DriftOf("first-result", steady, "ms"); d.P >= d.Alpha || d.Verdict != DriftNone {
		t.Errorf("a significant 3%% change: %s, want %q", d, DriftNone)
	}
}

func TestDriftWithTooFewCyclesSaysSo(t *testing.T) {
	d := DriftOf("ready", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, "ms")
	if d.Verdict != DriftTooFew || d.K != 0 || len(d.Warnings) == 0 || d.P != 1 {
		t.Errorf("9 cycles: %+v", d)
	}
	if s := d.String(); s != "ready: too few cycles (n=9)" {
		t.Errorf("String = %q", s)
	}
}

func TestDriftOfIdenticalGroupsIsNone(t *testing.T) {
	vals := make([]float64, 20)
	for i := range vals {
		vals[i] = 12
	}
	d := DriftOf("teardown", vals, "ms")
	if d.Verdict != DriftNone || math.IsNaN(d.P) {
		t.Errorf("constant loop: %+v", d)
	}
}

func durations(ns []int64) []time.Duration {
	out := make([]time.Duration, len(ns))
	for i, v := range ns {
		out[i] = time.Duration(v)
	}
	return out
}
