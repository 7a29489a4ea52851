package measure

import (
	"errors"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
)

// recordFailure records a failure of phase in vr, classified.
func recordFailure(vr *results.VariantResult, phase results.Phase, sandbox string, err error) {
	vr.Failures = append(vr.Failures, failureOf(phase, sandbox, err))
}

// failureOf is the failure of phase that err is: its cause, its class
// (Classify), and whether a daemon the runtime goes through could not be
// reached (err is driver.ErrUnreachable), each from err's type.
func failureOf(phase results.Phase, sandbox string, err error) results.Failure {
	return results.Failure{Phase: string(phase), Sandbox: sandbox, Cause: err.Error(), Class: Classify(err),
		Unreachable: errors.Is(err, driver.ErrUnreachable)}
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
