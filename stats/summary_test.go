package stats

import (
	"strings"
	"testing"
	"time"
)

func ms(v ...float64) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x * float64(time.Millisecond))
	}
	return out
}

func TestSummarizeGivesMedianWithAConfidenceIntervalAroundIt(t *testing.T) {
	var samples []time.Duration
	for i := 1; i <= 20; i++ {
		samples = append(samples, ms(float64(60+i))...)
	}
	s := Summarize(samples)
	if s.N != 20 || s.Median != 70.5 {
		t.Fatalf("n=%d median=%v, want 20 and 70.5", s.N, s.Median)
	}
	if !(s.Lo <= s.Median && s.Median <= s.Hi) || s.Lo < 61 || s.Hi > 80 {
		t.Errorf("interval [%v, %v] does not bracket the median within the sample", s.Lo, s.Hi)
	}
	if s.Confidence < Confidence {
		t.Errorf("confidence %v below the requested %v", s.Confidence, Confidence)
	}
	if s.Min != 61 || s.Max != 80 {
		t.Errorf("min %v max %v", s.Min, s.Max)
	}
	if s.P90 == nil || *s.P90 != 78 {
		t.Errorf("p90 = %v, want the nearest-rank 78", s.P90)
	}
	if s.P99 != nil {
		t.Errorf("p99 reported from 20 samples: %v", *s.P99)
	}
}

func TestSummarizeWarnsWhenTooFewSamplesForAnInterval(t *testing.T) {
	s := Summarize(ms(70, 71, 72))
	if s.N != 3 || s.Median != 71 {
		t.Fatalf("summary %+v", s)
	}
	joined := strings.Join(s.Warnings, "; ")
	if !strings.Contains(joined, "p90 not reported") || !strings.Contains(joined, "confidence") {
		t.Errorf("warnings %q do not say the sample is too small", joined)
	}
	if s.Lo != 70 || s.Hi != 72 {
		t.Errorf("an infinite interval must fall back to min/max, got [%v, %v]", s.Lo, s.Hi)
	}
}

func TestSummarizeWarnsOnAWideInterval(t *testing.T) {
	s := Summarize(ms(10, 12, 15, 30, 50, 70, 90, 110, 130, 150, 170, 190))
	if !strings.Contains(strings.Join(s.Warnings, ";"), "wide confidence interval") {
		t.Errorf("no wide-interval warning in %q", s.Warnings)
	}
}

func TestSummarizeReportsP99OnlyFromAHundredSamples(t *testing.T) {
	var v []float64
	for i := 1; i <= 100; i++ {
		v = append(v, float64(i))
	}
	s := SummarizeValues(v, "ms")
	if s.P99 == nil || *s.P99 != 99 {
		t.Errorf("p99 = %v, want 99", s.P99)
	}
}

func TestSummarizeOfNothingSaysSo(t *testing.T) {
	s := Summarize(nil)
	if s.N != 0 || len(s.Warnings) == 0 || s.String() != "no samples" {
		t.Errorf("empty summary %+v", s)
	}
}
