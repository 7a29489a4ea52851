package stats

import (
	"fmt"
	"math"
	"sort"
	"time"

	"golang.org/x/perf/benchmath"

	"github.com/agentic-eval/agentic-eval/units"
)

// Confidence is the confidence level of every interval the harness reports.
const Confidence = 0.95

// Summary condenses a sample of durations. Figures are in milliseconds; the
// raw samples stay beside it in the result so a run can be re-summarized.
type Summary struct {
	N int `json:"n"`
	// Unit is what the figures count: "ms" for durations, "MiB" for memory.
	Unit   string  `json:"unit"`
	Median float64 `json:"median"`
	// Lo and Hi bound the median's confidence interval, at Confidence (or
	// higher: order statistics only reach certain levels).
	Lo         float64  `json:"ci_lo"`
	Hi         float64  `json:"ci_hi"`
	Confidence float64  `json:"ci_confidence"`
	P90        *float64 `json:"p90,omitempty"` // only when n >= 10
	P99        *float64 `json:"p99,omitempty"` // only when n >= 100
	Min        float64  `json:"min"`
	Max        float64  `json:"max"`
	Warnings   []string `json:"warnings,omitempty"`
}

// Summarize computes the median with its distribution-free confidence
// interval (benchmath's AssumeNothing), percentiles where the sample is
// large enough to support them, and warnings for the reader.
func Summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{Unit: "ms", Warnings: []string{"no samples: every attempt failed or none was made"}}
	}
	vals := make([]float64, len(samples))
	for i, d := range samples {
		vals[i] = float64(d) / float64(time.Millisecond)
	}
	return SummarizeValues(vals, "ms")
}

// SummarizeValues is Summarize for values in any unit, named by unit.
func SummarizeValues(values []float64, unit string) Summary {
	if len(values) == 0 {
		return Summary{Unit: unit, Warnings: []string{"no samples: every attempt failed or none was made"}}
	}
	vals := append([]float64(nil), values...)
	sort.Float64s(vals)
	s := benchmath.NewSample(vals, &benchmath.DefaultThresholds)
	bs := benchmath.AssumeNothing.Summary(s, Confidence)
	out := Summary{
		N:          len(vals),
		Unit:       unit,
		Median:     bs.Center,
		Lo:         bs.Lo,
		Hi:         bs.Hi,
		Confidence: bs.Confidence,
		Min:        vals[0],
		Max:        vals[len(vals)-1],
	}
	for _, w := range s.Warnings {
		out.Warnings = append(out.Warnings, w.Error())
	}
	for _, w := range bs.Warnings {
		out.Warnings = append(out.Warnings, w.Error())
	}
	if len(vals) >= 10 {
		p := quantile(vals, 0.90)
		out.P90 = &p
	} else {
		out.Warnings = append(out.Warnings, fmt.Sprintf("p90 not reported: %d samples, need at least 10", len(vals)))
	}
	if len(vals) >= 100 {
		p := quantile(vals, 0.99)
		out.P99 = &p
	} else if len(vals) >= 10 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("p99 not reported: %d samples, need at least 100", len(vals)))
	}
	if math.IsInf(bs.Lo, 0) || math.IsInf(bs.Hi, 0) {
		// JSON cannot carry infinities; the warning above says why.
		out.Lo, out.Hi = out.Min, out.Max
	} else if bs.Center > 0 && (bs.Hi-bs.Lo)/bs.Center > 0.25 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("wide confidence interval: ±%s of the median; the host was noisy or the samples too few", benchmath.Summary(bs).PctRangeString()))
	}
	return out
}

// quantile is the nearest-rank quantile of sorted values.
func quantile(sorted []float64, q float64) float64 {
	rank := int(math.Ceil(q * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// String is a compact human form: "median 71.2 ms [68.0, 75.3] p90 80.1 ms (n=20)".
func (s Summary) String() string {
	if s.N == 0 {
		return "no samples"
	}
	str := fmt.Sprintf("median %s [%s, %s]", units.Millis(s.Median), units.Millis(s.Lo), units.Millis(s.Hi))
	if s.P90 != nil {
		str += " p90 " + units.Millis(*s.P90)
	}
	if s.P99 != nil {
		str += " p99 " + units.Millis(*s.P99)
	}
	return str + fmt.Sprintf(" (n=%d)", s.N)
}

// NearestRank is the nearest-rank quantile q of values, in any order: the
// value at rank ceil(q·n). Below 100 values the 0.99 quantile is the
// maximum. 0 for no values.
func NearestRank(values []float64, q float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := append([]float64(nil), values...)
	sort.Float64s(s)
	return quantile(s, q)
}

// Millis is durations in milliseconds.
func Millis(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / float64(time.Millisecond)
	}
	return out
}
