package results

import (
	"fmt"
	"math"

	"github.com/agentic-eval/agentic-eval/stats"
)

// Median is one reported median and how well the run knows it: the
// figures a reader quotes (start latency, the time to the first result,
// warm runs per exec path, memory per sandbox, restores), each with its
// interval's half-width relative to it and why its sampling stopped.
type Median struct {
	Variant string
	Figure  string // "start-latency", "first-result/python-hello", "warm/python-hello/probe", "memory", "restore"
	Summary stats.Summary
	// HalfWidth is the larger half of the interval over the median;
	// +Inf when the sample gives no interval at the run's confidence
	// (fewer than 6 samples).
	HalfWidth float64
	Stop      *stats.Stop // nil where the figure has no sampling rule (memory)
}

// Within reports whether the median is known within ±precision.
func (m Median) Within(precision float64) bool { return m.HalfWidth <= precision }

// Medians lists every reported median of the run, in the order of its
// variants. A median whose sample is too small for an interval at the
// run's confidence counts as not known, however close its few samples.
func (r *Results) Medians() []Median {
	var out []Median
	add := func(v *VariantResult, figure string, s stats.Summary, stop *stats.Stop) {
		if s.N == 0 {
			return
		}
		out = append(out, Median{Variant: v.Variant, Figure: figure, Summary: s, HalfWidth: halfWidthOf(s), Stop: stop})
	}
	for i := range r.Systems {
		v := &r.Systems[i]
		if l := v.StartLatency; l != nil {
			add(v, "start-latency", l.Summary, l.Stop)
		}
		if w := v.Workloads; w != nil {
			for _, t := range w.TTI {
				add(v, "first-result/"+t.Workload, t.FirstResult, t.Stop)
			}
			for _, e := range w.Warm {
				add(v, "warm/"+e.Workload+"/"+e.ExecPath, e.Summary, e.Stop)
			}
		}
		if d := v.Density; d != nil {
			add(v, "memory", d.PerInstanceMiB, nil)
		}
		if s := v.Snapshot; s != nil {
			add(v, "restore", s.Restore, s.Stop)
		}
	}
	return out
}

// halfWidthOf is a summary's interval's larger half over its median, +Inf
// without an interval at Confidence.
func halfWidthOf(s stats.Summary) float64 {
	if s.N < 6 || s.Confidence < stats.Confidence || s.Median <= 0 {
		return math.Inf(1)
	}
	return math.Max(s.Hi-s.Median, s.Median-s.Lo) / s.Median
}

// PrecisionNote counts the run's medians known within ±precision and
// names the others with their half-width and why they stopped.
func (r *Results) PrecisionNote(precision float64) (met, total int, misses []string) {
	for _, m := range r.Medians() {
		total++
		if m.Within(precision) {
			met++
			continue
		}
		hw := "no interval (n=" + fmt.Sprint(m.Summary.N) + ")"
		if !math.IsInf(m.HalfWidth, 0) {
			hw = fmt.Sprintf("±%.0f%% at n=%d", m.HalfWidth*100, m.Summary.N)
		}
		why := ""
		if m.Stop != nil {
			why = ": " + m.Stop.Message
		}
		misses = append(misses, fmt.Sprintf("%s %s %s%s", m.Variant, m.Figure, hw, why))
	}
	return met, total, misses
}
