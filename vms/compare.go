package vms

import (
	"encoding/json"
	"fmt"
	"strings"
)

// AxisDelta is one axis's difference, a minus b.
type AxisDelta struct {
	Axis  Axis
	Delta float64
}

// MarshalJSON writes the pair as serde writes a (&str, f64) tuple:
// ["snapshotting", 0.1].
func (d AxisDelta) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{d.Axis.Name(), d.Delta})
}

// Comparison sets system A against baseline B: positive deltas mean A fits
// agent workloads better.
type Comparison struct {
	A            Profile     `json:"a"`
	B            Profile     `json:"b"`
	FitnessDelta float64     `json:"fitness_delta"`
	AxisDeltas   []AxisDelta `json:"axis_deltas"`
	// Weights is what FitnessDelta was computed under; nil means the
	// reference's unweighted mean.
	Weights *Weights `json:"weights,omitempty"`
}

// Compare sets a against baseline b on all five axes, as the reference does.
func Compare(a, b System) Comparison {
	return CompareProfiles(ProfileOf(a), ProfileOf(b))
}

// CompareWeighted is Compare with the fitness delta computed under w. The
// axis deltas stay raw score differences.
func CompareWeighted(a, b System, w Weights) Comparison {
	c := CompareProfiles(ProfileOf(a), ProfileOf(b))
	c.FitnessDelta = w.Fitness(c.A) - w.Fitness(c.B)
	c.Weights = &w
	return c
}

// CompareProfiles compares two profiles of any provenance.
func CompareProfiles(pa, pb Profile) Comparison {
	c := Comparison{A: pa, B: pb, FitnessDelta: pa.Fitness() - pb.Fitness()}
	for _, ax := range Axes() {
		c.AxisDeltas = append(c.AxisDeltas, AxisDelta{Axis: ax, Delta: pa.Score(ax) - pb.Score(ax)})
	}
	return c
}

// String is the reference's text: a headline, then one line per axis with
// its sign always shown.
func (c Comparison) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s vs %s: fitness delta %+.2f\n", c.A.System.Name(), c.B.System.Name(), c.FitnessDelta)
	for _, d := range c.AxisDeltas {
		fmt.Fprintf(&b, "  %s: %+.2f\n", d.Axis.Name(), d.Delta)
	}
	return b.String()
}
