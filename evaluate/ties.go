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

// tied reports whether two rows' fitness cannot be told apart: the middle
// rubric.IntervalLevel of the bootstrap differences holds zero. A curated
// row is a constant (a judgment has no sampling error), so two curated
// rows tie only when their fitness is equal.
func tied(a, b Row) bool {
	if a.fits == nil && b.fits == nil {
		return math.Abs(a.Fitness-b.Fitness) < 1e-9
	}
	n := max(len(a.fits), len(b.fits))
	diffs := make([]float64, n)
	for i := range diffs {
		diffs[i] = at(a, i) - at(b, i)
	}
	lo, hi := rubric.Interval(diffs)
	return lo <= 0 && 0 <= hi
}

func at(r Row, i int) float64 {
	if r.fits == nil {
		return r.Fitness
	}
	return r.fits[i%len(r.fits)]
}

// assignRanks numbers rows already sorted best first. A row tied with the
// first row of the current group shares its rank; the next untied row
// takes its place in the list (1, 2, 2, 4). Ties are not transitive, so a
// group is anchored on its first row.
func assignRanks(rows []Row) {
	lead := 0
	for i := range rows {
		if i > 0 && tied(rows[lead], rows[i]) {
			rows[i].Rank = rows[lead].Rank
			rows[i].Tied, rows[lead].Tied = true, true
			continue
		}
		lead = i
		rows[i].Rank = i + 1
	}
}
