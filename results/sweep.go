package results

import (
	"fmt"
	"time"

	"github.com/agentic-eval/agentic-eval/workload"
)

// UntilReady is the sweeps' endpoint when no workload is timed: the
// probe's ready line.
const UntilReady = "ready"

// UsesImage reports whether a run with these settings starts sandboxes on
// the image: the workload phase, and the sweeps when they time a workload.
func (s Settings) UsesImage() bool {
	if s.Has(PhaseWorkload) || s.Has(PhaseChurn) && s.Churn > 0 {
		return true
	}
	sweeps := (s.Has(PhaseBurst) && s.Burst > 0) || (s.Has(PhaseArrivals) && len(s.Arrivals.Rates) > 0)
	return sweeps && s.SweepUntil != "" && s.SweepUntil != UntilReady
}

// validateSweeps checks the sweeps' settings.
func (s Settings) validateSweeps() error {
	for i, k := range s.BurstLadder {
		if k < 1 || k > 1000 {
			return fmt.Errorf("burst ladder level %d out of range: want 1 to 1000 spawns at once", k)
		}
		if i > 0 && k <= s.BurstLadder[i-1] {
			return fmt.Errorf("burst ladder %v is not increasing: want levels such as 1,4,16,64", s.BurstLadder)
		}
	}
	if s.Burst > 0 && (s.BurstBudget < 100*time.Millisecond || s.BurstBudget > time.Hour) {
		return fmt.Errorf("burst budget %s out of range: want 100ms to 1h", s.BurstBudget)
	}
	switch s.SweepUntil {
	case "", UntilReady:
	default:
		w, err := workload.Lookup(s.SweepUntil)
		if err != nil || w.Argv == nil {
			return fmt.Errorf("sweep endpoint %q unknown: want %s or a workload that runs (%s)", s.SweepUntil, UntilReady, workload.PythonHello)
		}
	}
	return s.Arrivals.Validate()
}

// BurstLevels are the levels the burst phase climbs: the ladder's levels
// below Burst, then Burst itself (Burst is the largest). Burst 0 is none.
func (s Settings) BurstLevels() []int {
	if s.Burst <= 0 {
		return nil
	}
	ladder := s.BurstLadder
	if len(ladder) == 0 {
		ladder = DefaultBurstLadder()
	}
	var out []int
	for _, k := range ladder {
		if k < s.Burst {
			out = append(out, k)
		}
	}
	return append(out, s.Burst)
}

// DefaultBurstLadder is 1, 4, 16, 64 spawns at once.
func DefaultBurstLadder() []int { return []int{1, 4, 16, 64} }
