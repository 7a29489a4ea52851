package stats

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Shape says, for a sample of durations in nanoseconds (in the order they
// were taken), whether it is not one cluster, and why in words:
//
//   - "bimodal": two clusters, each at least a fifth of the sample, whose
//     medians are at least 25% apart and near whose split lies a gap at least
//     five times the mean spacing in the middle half of either (the two-means split of
//     the logarithms). The median of such a sample sits in one mode or the
//     other as their shares drift, so its interval stays wide until one
//     holds clearly more than half: the two modes are the figure to read.
//   - "alternating": successive samples anti-correlated (the lag-1
//     autocorrelation of their logarithms -0.4 or lower, and below
//     -3/√n, three standard errors of none): every other one slow, an effect of
//     the loop or the host with a period, not noise.
//
// Both can hold ("bimodal, alternating"). Fewer than 12 samples have no
// shape, fewer than 30 no modes: with fewer, one lognormal sample in ten
// shows such a gap by chance (measured over seeded samples; about one in
// thirty at 40, one in sixty from 100).
func Shape(values []float64) (shape, why string) {
	if len(values) < 12 {
		return "", ""
	}
	var shapes, whys []string
	if lo, hi, share, ok := bimodal(values); ok && len(values) >= 30 {
		shapes = append(shapes, "bimodal")
		whys = append(whys, fmt.Sprintf("bimodal: %.0f%% of the samples near %s and %.0f%% near %s, so the median falls between two modes and its interval narrows only once one holds clearly more than half",
			share*100, roundDur(time.Duration(lo)), (1-share)*100, roundDur(time.Duration(hi))))
	}
	if r := lag1(values); r <= -math.Max(0.4, 3/math.Sqrt(float64(len(values)))) {
		shapes = append(shapes, "alternating")
		whys = append(whys, fmt.Sprintf("alternating: each sample against the next correlates at r=%.2f, every other one slow (a periodic effect, not noise)", r))
	}
	return strings.Join(shapes, ", "), strings.Join(whys, "; ")
}

// bimodal splits the logarithms of values where the two-means criterion
// is least (each side at least a fifth) and reports the two sides'
// medians and the lower side's share when the split is a real gap.
func bimodal(values []float64) (lo, hi, share float64, ok bool) {
	n := len(values)
	x := make([]float64, 0, n)
	for _, v := range values {
		if v <= 0 {
			return 0, 0, 0, false
		}
		x = append(x, math.Log(v))
	}
	sort.Float64s(x)
	sum, sq := make([]float64, n+1), make([]float64, n+1)
	for i, v := range x {
		sum[i+1], sq[i+1] = sum[i]+v, sq[i]+v*v
	}
	sse := func(a, b int) float64 { // over x[a:b]
		m := float64(b - a)
		s := sum[b] - sum[a]
		return sq[b] - sq[a] - s*s/m
	}
	first, last := int(math.Ceil(0.2*float64(n))), int(math.Floor(0.8*float64(n)))
	best, k := math.Inf(1), 0
	for i := max(first, 2); i <= min(last, n-2); i++ {
		if e := sse(0, i) + sse(i, n); e < best {
			best, k = e, i
		}
	}
	if k == 0 {
		return 0, 0, 0, false
	}
	// The gap: the widest neighbour spacing within two places of the
	// split, against the spacing in the middle half of either cluster.
	w, ratio := 2, 0.0
	for j := max(k-w, 2); j <= min(k+w, n-2); j++ {
		if sp := math.Max(iqrSpacing(x[:j]), iqrSpacing(x[j:])); sp > 0 {
			ratio = math.Max(ratio, (x[j]-x[j-1])/sp)
		}
	}
	mLo, mHi := medianOf(x[:k]), medianOf(x[k:])
	if mHi-mLo < math.Log(1.25) || ratio < 5 {
		return 0, 0, 0, false
	}
	return math.Exp(mLo), math.Exp(mHi), float64(k) / float64(n), true
}

// iqrSpacing is the mean distance between neighbours in the middle half
// of a sorted cluster: a tail does not widen it.
func iqrSpacing(sorted []float64) float64 {
	n := len(sorted)
	a, b := n/4, (3*n)/4
	if b >= n {
		b = n - 1
	}
	if b <= a {
		return 0
	}
	return (sorted[b] - sorted[a]) / float64(b-a)
}

func medianOf(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// lag1 is the lag-1 autocorrelation of the logarithms of values in their
// order (logarithms: one slow outlier does not decide it).
func lag1(raw []float64) float64 {
	values := make([]float64, len(raw))
	var m float64
	for i, v := range raw {
		values[i] = math.Log(math.Max(v, 1))
		m += values[i]
	}
	m /= float64(len(values))
	var num, den float64
	for i, v := range values {
		den += (v - m) * (v - m)
		if i > 0 {
			num += (values[i-1] - m) * (v - m)
		}
	}
	if den == 0 {
		return 0
	}
	return num / den
}
