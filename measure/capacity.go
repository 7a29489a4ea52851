package measure

import (
	"math"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
)

// FitPoints fits the fill's points: used MiB against the number held.
func FitPoints(pts []results.FillPoint) (stats.Slope, error) {
	xs := make([]float64, len(pts))
	ys := make([]float64, len(pts))
	for i, p := range pts {
		xs[i], ys[i] = float64(p.Held), float64(p.UsedBytes)/mib
	}
	return stats.FitSlope(xs, ys)
}

// SlopeStable applies the stable-slope rule (StableRule) to a fit over a
// fill that holds held sandboxes.
func SlopeStable(fit stats.Slope, held int) bool {
	if held < results.StableMinHeld || fit.N < 4 {
		return false
	}
	return fit.HalfWidth() <= max(results.StableRelTol*math.Abs(fit.Slope), results.StableAbsTolMiB)
}

// NextBatch is how many sandboxes the fill may start next: at most conc,
// no more than left to the cap, and no more than fit above the guard at
// an expected cost of next bytes each. 0 means stop; why says at what.
func NextBatch(conc, held, capN int, avail, guard, next int64) (n int, why string) {
	n = min(conc, capN-held)
	if n <= 0 {
		return 0, "cap"
	}
	if next <= 0 {
		next = 1
	}
	if room := (avail - guard) / next; room < int64(n) {
		n = int(max(room, 0))
	}
	if n == 0 {
		return 0, "guard"
	}
	return n, ""
}
