package rubric

import "math"

// logScore maps x on a log scale: 1.0 at or below best, 0.0 at or above
// worst, linear in log(x) between.
func logScore(x, best, worst float64) float64 {
	switch {
	case math.IsNaN(x):
		return 0
	case x <= best:
		return 1
	case x >= worst:
		return 0
	}
	return 1 - math.Log(x/best)/math.Log(worst/best)
}

// LatencyScore scores a median start latency in milliseconds: 1.0 under
// 100 ms, 0.0 at 10 s, each tenfold slowdown costing half the scale.
func LatencyScore(ms float64) float64 { return round(logScore(ms, LatencyBestMS, LatencyWorstMS)) }

// DensityScore scores per-instance host memory in MiB: 1.0 at a few MiB
// (microVM or container class), 0.0 at 512 MiB, log-linear between.
func DensityScore(mib float64) float64 {
	return round(logScore(mib, DensityBestMiB, DensityWorstMiB))
}

// round keeps scores to three decimals so that saved and re-computed scores
// compare exactly and print stably.
func round(x float64) float64 { return math.Round(x*1000) / 1000 }

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
