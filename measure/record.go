package measure

import (
	"time"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
)

// recordFailure records a failure of phase in vr, classified.
func recordFailure(vr *results.VariantResult, phase results.Phase, sandbox string, err error) {
	vr.Failures = append(vr.Failures, results.Failure{Phase: string(phase), Sandbox: sandbox, Cause: err.Error(), Class: Classify(err)})
}

// sampling is the rule for a repeated measurement of s whose ceiling is
// max.
func sampling(s results.Settings, max int) stats.Sampling {
	return stats.Sampling{Min: min(s.MinSamples, max), Max: max, Precision: s.Precision, Budget: s.PhaseBudget}
}

func nsList(ds []time.Duration) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = int64(d)
	}
	return out
}
