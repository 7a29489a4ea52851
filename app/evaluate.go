package app

import (
	"context"
	"errors"

	"github.com/agentic-eval/agentic-eval/evaluate"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/rubric"
)

// EvaluateRequest is an evaluation of the catalog beside a run's figures.
type EvaluateRequest struct {
	// Results is the run (nil: the curated catalog only).
	Results   *results.Results
	Weighting Weighting
	Rubric    rubric.Options
	// Host says which systems can run where the answer is for: nil is the
	// run's host (Results' fingerprints), or with no run, every system
	// ranked as the catalog has it (HostHere asks this host instead).
	Host *evaluate.HostFit
	// WhatIf ranks the systems that cannot run on the host with those that
	// can, each still marked.
	WhatIf bool
}

// Evaluate combines a run's measured figures with the catalog under a
// weighting, each system's figures from its preferred variant, ranking
// first the systems that can run on the host the answer is for.
func (a *App) Evaluate(req EvaluateRequest) evaluate.Evaluation {
	host := req.Host
	if host == nil {
		host = evaluate.HostFitFromResults(req.Results)
	}
	return evaluate.Evaluate(req.Results, req.Weighting.Weights, evaluate.Options{Preferred: Preferred(), Rubric: req.Rubric, Host: host, WhatIf: req.WhatIf})
}

// HostHere is which systems can run on this host, from every driver's
// fingerprint taken now: the answer for this host when no run is given.
func (a *App) HostHere(ctx context.Context) (*evaluate.HostFit, error) {
	all, err := a.drivers()
	if err != nil {
		return nil, err
	}
	fps := make([]evaluate.VariantFingerprint, 0, len(all))
	for _, d := range all {
		fps = append(fps, evaluate.VariantFingerprint{System: d.System(), Variant: d.Variant(), Fingerprint: a.fingerprint(ctx, d)})
	}
	h := evaluate.HostFitOf("this host's drivers", fps)
	return &h, nil
}

// RecommendRequest is a recommendation under a weighting and limits.
type RecommendRequest struct {
	Results         *results.Results
	Weighting       Weighting
	Rubric          rubric.Options
	RequireMeasured bool
	Constraints     evaluate.Constraints
	// Host and WhatIf are as for Evaluate.
	Host   *evaluate.HostFit
	WhatIf bool
}

// ErrRequireMeasuredNeedsResults refuses a recommendation of measured
// systems only without a run to take the measurements from.
var ErrRequireMeasuredNeedsResults = errors.New("recommending only measured systems needs a results file written by vms measure")

// Recommend picks the system that best fits the weighting among those that
// pass the limits, with its reasons; the evaluation it rests on comes
// back beside it. The limits are tested on the run's figures and, for
// systems it did not measure, on the declared capabilities of the drivers
// that speak for them. The errors of evaluate.Recommend (nothing measured,
// nothing passing) come back as they are, with the recommendation that
// explains them.
func (a *App) Recommend(req RecommendRequest) (evaluate.Recommendation, evaluate.Evaluation, error) {
	if req.RequireMeasured && req.Results == nil {
		return evaluate.Recommendation{}, evaluate.Evaluation{}, &InputError{Field: "require-measured", Err: ErrRequireMeasuredNeedsResults}
	}
	if err := req.Constraints.Validate(); err != nil {
		return evaluate.Recommendation{}, evaluate.Evaluation{}, &InputError{Field: "constraints", Err: err}
	}
	all, err := a.drivers()
	if err != nil {
		return evaluate.Recommendation{}, evaluate.Evaluation{}, err
	}
	ev := a.Evaluate(EvaluateRequest{Results: req.Results, Weighting: req.Weighting, Rubric: req.Rubric, Host: req.Host, WhatIf: req.WhatIf})
	rec, err := evaluate.Recommend(ev, evaluate.RecommendOptions{
		RequireMeasured: req.RequireMeasured, Weighting: req.Weighting.Label(),
		Constraints: req.Constraints, Facts: evaluate.Facts{Results: req.Results, Declared: evaluate.DeclaredOf(all), StartWorkload: req.Rubric.StartWorkload},
	})
	return rec, ev, err
}
