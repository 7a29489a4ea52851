package evaluate

import (
	"math"

	"github.com/agentic-eval/agentic-eval/rubric"
	"github.com/agentic-eval/agentic-eval/vms"
)

// fitnessReplicates is the row's effective fitness under each bootstrap
// replicate of its primary variant: every axis the primary measured takes
// the replicate's score, every other axis keeps its effective score.
func fitnessReplicates(row Row, reps []rubric.Scored, w vms.Weights) []float64 {
	fits := make([]float64, len(reps))
	for i, rep := range reps {
		p := row.Effective
		for _, v := range row.Axes {
			if v.Variant != row.Primary || v.Provenance != rubric.Measured {
				continue
			}
			ax, err := vms.ParseAxis(v.Axis)
			if err != nil {
				continue
			}
			if s, ok := rep.Axis(ax); ok {
				p = p.WithScore(ax, s.Score)
			}
		}
		fits[i] = w.Fitness(p)
	}
	return fits
}

// boundSlack is how far the published bounds among axes let a fitness
// under w fall (lo, at most 0) and rise (hi, at least 0): each bound axis
// moves the weighted mean by its weight share times the distance from its
// score to its interval's ends.
func boundSlack(axes []AxisValue, w vms.Weights) (lo, hi float64) {
	total := 0.0
	for _, v := range w {
		total += v
	}
	if total <= 0 || math.IsInf(total, 0) || math.IsNaN(total) {
		return 0, 0
	}
	norm := w.Normalized()
	for i, v := range axes {
		if !v.Bound || v.Lo == nil || v.Hi == nil || i >= len(norm) {
			continue
		}
		lo += norm[i] * (*v.Lo - v.Score)
		hi += norm[i] * (*v.Hi - v.Score)
	}
	return lo, hi
}

// tied reports whether two rows' fitness cannot be told apart: the middle
// rubric.IntervalLevel of the bootstrap differences, widened by what each
// row's published bounds allow, holds zero. A curated row is a constant (a
// judgment has no sampling error), so two curated rows without bounds tie
// only when their fitness is equal; a row whose fitness rests on a bound
// ties with every row whose interval overlaps its own.
func tied(a, b Row) bool {
	noSlack := a.slackLo == 0 && a.slackHi == 0 && b.slackLo == 0 && b.slackHi == 0
	if a.fits == nil && b.fits == nil && noSlack {
		return math.Abs(a.Fitness-b.Fitness) < 1e-9
	}
	var lo, hi float64
	if a.fits == nil && b.fits == nil {
		lo, hi = a.Fitness-b.Fitness, a.Fitness-b.Fitness
	} else {
		n := max(len(a.fits), len(b.fits))
		diffs := make([]float64, n)
		for i := range diffs {
			diffs[i] = at(a, i) - at(b, i)
		}
		lo, hi = rubric.Interval(diffs)
	}
	lo += a.slackLo - b.slackHi
	hi += a.slackHi - b.slackLo
	return lo <= 1e-9 && -1e-9 <= hi
}

func at(r Row, i int) float64 {
	if r.fits == nil {
		return r.Fitness
	}
	return r.fits[i%len(r.fits)]
}

// assignRanks ranks rows already sorted best first by fitness, and
// returns them in rank order. Each row joins the group of the first group
// lead it ties with, or leads a new group; a group's rows share a rank, the
// number of rows in the groups before it plus one (1, 1, 3), and are Tied.
// Ties are not transitive, so a group is anchored on its lead. A row whose
// fitness rests on a published bound can tie with a lead well above its
// own point (its interval reaches up to it): it then moves up to that
// lead's group. Without bounds a row ties with an earlier lead only when
// it ties with the current one too, and the order is the fitness order.
func assignRanks(rows []Row) []Row {
	var groups [][]Row
	for _, r := range rows {
		r.Tied = false
		joined := false
		for g := range groups {
			if tied(groups[g][0], r) {
				groups[g] = append(groups[g], r)
				joined = true
				break
			}
		}
		if !joined {
			groups = append(groups, []Row{r})
		}
	}
	out := make([]Row, 0, len(rows))
	for _, g := range groups {
		rank := len(out) + 1
		for _, r := range g {
			r.Rank, r.Tied = rank, len(g) > 1
			out = append(out, r)
		}
	}
	return out
}
