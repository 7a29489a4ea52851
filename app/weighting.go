package app

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/agentic-eval/agentic-eval/vms"
)

// Weighting is the weights a request ranks under and how they were chosen.
type Weighting struct {
	// Preset names the preset chosen; empty for weights given axis by
	// axis.
	Preset  string      `json:"preset,omitempty"`
	Weights vms.Weights `json:"weights"`
	// Chosen says the request named a weighting (balanced is the default).
	Chosen bool `json:"-"`
}

// Label says which weights are in force, in words: "balanced weights",
// "preset untrusted-code (start-latency=1,...)" or "weights ...".
func (w Weighting) Label() string {
	switch {
	case w.Preset == "balanced":
		return "balanced weights"
	case w.Preset != "":
		return fmt.Sprintf("preset %s (%s)", w.Preset, w.Weights)
	}
	return "weights " + w.Weights.String()
}

// Balanced is the default weighting: every axis weighs 1.
func Balanced() Weighting { return Weighting{Preset: "balanced", Weights: vms.Balanced()} }

// WeightingOf reads a weighting from a preset name or from per-axis
// weights (axes not named weigh 1): at most one of the two; neither is
// balanced. weights is "AXIS=W,..." text (the command line's) or nil;
// byAxis is the same as a map (an agent's JSON); a request gives one form.
func WeightingOf(preset, weights string, byAxis map[string]float64) (Weighting, error) {
	given := 0
	for _, g := range []bool{preset != "", weights != "", len(byAxis) > 0} {
		if g {
			given++
		}
	}
	if given > 1 {
		return Weighting{}, &InputError{Err: errors.New("weights and preset exclude each other: give one of them (or neither, for balanced)")}
	}
	switch {
	case weights != "":
		w, err := vms.ParseWeights(weights)
		if err != nil {
			return Weighting{}, &InputError{Field: "weights", Err: err}
		}
		return Weighting{Weights: w, Chosen: true}, nil
	case len(byAxis) > 0:
		w, err := weightsFromMap(byAxis)
		if err != nil {
			return Weighting{}, &InputError{Field: "weights", Err: err}
		}
		return Weighting{Weights: w, Chosen: true}, nil
	case preset != "":
		p, err := vms.LookupPreset(preset)
		if err != nil {
			return Weighting{}, &InputError{Field: "preset", Err: err}
		}
		return Weighting{Preset: p.Name, Weights: p.Weights, Chosen: true}, nil
	}
	return Balanced(), nil
}

// WorkloadWeighting reads a workload as an agent names it: a preset's name
// or axis=weight pairs.
func WorkloadWeighting(workload string) (Weighting, error) {
	s := strings.TrimSpace(workload)
	switch {
	case s == "":
		return Weighting{}, inputf("", "workload is empty: give a preset name (%s) or axis=weight pairs such as isolation=3,start-latency=2", strings.Join(vms.PresetNames(), ", "))
	case strings.Contains(s, "="):
		w, err := WeightingOf("", s, nil)
		if err != nil {
			return Weighting{}, &InputError{Field: "workload", Err: errors.Unwrap(err)}
		}
		return w, nil
	}
	w, err := WeightingOf(s, "", nil)
	if err != nil {
		return Weighting{}, inputf("workload", "%v; or give axis=weight pairs such as isolation=3,start-latency=2", errors.Unwrap(err))
	}
	return w, nil
}

// weightsFromMap reads weights keyed by axis; axes not named weigh 1, as
// vms.ParseWeights reads them, and its error texts are the package's.
func weightsFromMap(m map[string]float64) (vms.Weights, error) {
	w := vms.Balanced()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	seen := map[vms.Axis]string{}
	for _, k := range keys {
		a, err := vms.ParseAxis(k)
		if err != nil {
			return w, err
		}
		if prev, ok := seen[a]; ok {
			return w, fmt.Errorf("axis %s is weighted twice (as %q and %q)", a, prev, k)
		}
		seen[a] = k
		w[a] = m[k]
	}
	if err := w.Validate(); err != nil {
		return w, err
	}
	return w, nil
}
