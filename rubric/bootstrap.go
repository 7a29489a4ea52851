package rubric

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Bootstrap is how score intervals are made: Replicates resamples, with
// replacement, every raw sample a measured score rests on (start
// latencies or first results, per-instance memory, restore times), and
// scores each resample through the same rubric. An axis's interval is the
// middle IntervalLevel of its replicates' scores. Axes scored from facts
// rather than samples (isolation, the agent-control checklist) have no
// sampling error, and get no interval.
const (
	Replicates    = 1000
	IntervalLevel = 0.95
)

// sampled are the axes a replicate can move.
var sampled = []vms.Axis{vms.StartLatency, vms.Density, vms.Snapshotting}

// ScoreWithIntervals is ScoreWith with each sample-based axis's interval
// filled in. The resampling is seeded by the variant's name, so the same
// document always gets the same intervals.
func ScoreWithIntervals(vr results.VariantResult, o Options) (Scored, []Scored) {
	s := ScoreWith(vr, o)
	reps := ReplicatesOf(vr, o, Replicates)
	for _, ax := range sampled {
		if !restsOnSamples(vr, ax) {
			continue
		}
		var vals []float64
		for _, r := range reps {
			if a, ok := r.Axis(ax); ok {
				vals = append(vals, a.Score)
			}
		}
		for i := range s.Axes {
			if s.Axes[i].Axis == ax && s.Axes[i].Provenance == Measured && len(vals) == len(reps) {
				lo, hi := Interval(vals)
				s.Axes[i].Lo, s.Axes[i].Hi = &lo, &hi
			}
		}
	}
	return s, reps
}

// ReplicatesOf scores n bootstrap resamples of vr's raw samples.
func ReplicatesOf(vr results.VariantResult, o Options, n int) []Scored {
	h := fnv.New64a()
	h.Write([]byte(vr.Variant))
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x5eed))
	out := make([]Scored, n)
	for i := range out {
		out[i] = ScoreWith(resample(vr, rng), o)
	}
	return out
}

// resample is vr with every summary a score reads (N and Median) recomputed
// from a resample of its raw samples. Nothing else of vr is copied deeply:
// a replicate is scored and dropped.
func resample(vr results.VariantResult, rng *rand.Rand) results.VariantResult {
	if l := vr.StartLatency; l != nil && len(l.SamplesNS) > 0 {
		c := *l
		c.Summary = medianOf(l.SamplesNS, 1e6, rng)
		vr.StartLatency = &c
	}
	if d := vr.Density; d != nil && len(d.PerInstanceBytes) > 0 {
		c := *d
		c.PerInstanceMiB = medianOf(d.PerInstanceBytes, 1<<20, rng)
		vr.Density = &c
	}
	if s := vr.Snapshot; s != nil && len(s.RestoreNS) > 0 {
		c := *s
		c.Restore = medianOf(s.RestoreNS, 1e6, rng)
		vr.Snapshot = &c
	}
	if w := vr.Workloads; w != nil && len(w.TTI) > 0 {
		c := *w
		c.TTI = append([]results.TimeToInteract(nil), w.TTI...)
		for i := range c.TTI {
			if len(c.TTI[i].FirstNS) > 0 {
				c.TTI[i].FirstResult = medianOf(c.TTI[i].FirstNS, 1e6, rng)
			}
		}
		vr.Workloads = &c
	}
	return vr
}

// medianOf is the median of a resample of raw, in raw/unit.
func medianOf(raw []int64, unit float64, rng *rand.Rand) stats.Summary {
	vals := make([]float64, len(raw))
	for i := range vals {
		vals[i] = float64(raw[rng.IntN(len(raw))]) / unit
	}
	return stats.Summary{N: len(vals), Median: median(vals)}
}

func median(vals []float64) float64 {
	sort.Float64s(vals)
	n := len(vals)
	if n%2 == 1 {
		return vals[n/2]
	}
	return (vals[n/2-1] + vals[n/2]) / 2
}

// Interval is the middle IntervalLevel of values (percentile bootstrap),
// rounded as scores are.
func Interval(values []float64) (lo, hi float64) {
	if len(values) == 0 {
		return math.NaN(), math.NaN()
	}
	v := append([]float64(nil), values...)
	sort.Float64s(v)
	tail := (1 - IntervalLevel) / 2
	at := func(q float64) float64 {
		i := int(math.Round(q * float64(len(v)-1)))
		return v[max(0, min(len(v)-1, i))]
	}
	return round(at(tail)), round(at(1 - tail))
}

// restsOnSamples reports whether the axis's score comes from raw samples
// (and so has sampling error): a failed or unsupported snapshot is a fact.
func restsOnSamples(vr results.VariantResult, ax vms.Axis) bool {
	switch ax {
	case vms.Density:
		return vr.Density != nil && len(vr.Density.PerInstanceBytes) > 0
	case vms.Snapshotting:
		sn := vr.Snapshot
		return sn != nil && sn.Supported && sn.Verified > 0 && len(sn.RestoreNS) > 0
	default:
		return true
	}
}
