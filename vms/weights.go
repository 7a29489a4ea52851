package vms

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Weights are per-axis importances: non-negative, finite, not all zero.
// Fitness under weights is the weighted mean of the scores; only the ratios
// between weights matter.
type Weights [NumAxes]float64

// Balanced is the reference's unweighted mean: every axis weighs 1.
func Balanced() Weights { return Weights{1, 1, 1, 1, 1} }

// Validate reports why w cannot be used, or nil.
func (w Weights) Validate() error {
	total := 0.0
	for i, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("weight for %s is %v: weights must be finite and non-negative", Axis(i), v)
		}
		total += v
	}
	if total == 0 {
		return fmt.Errorf("all weights are zero: at least one axis needs a positive weight")
	}
	if math.IsInf(total, 0) {
		return fmt.Errorf("weights are too large: their sum overflows")
	}
	return nil
}

// Normalized returns the weights scaled to sum to 1.
func (w Weights) Normalized() Weights {
	total := 0.0
	for _, v := range w {
		total += v
	}
	var n Weights
	for i, v := range w {
		n[i] = v / total
	}
	return n
}

// Fitness is p's weighted mean under w, summed in axis order and divided by
// the sum of the weights. With equal weights of 1 this is exactly
// p.Fitness(), bit for bit.
func (w Weights) Fitness(p Profile) float64 {
	// Scale by the largest weight first, so that tiny (subnormal) weights
	// do not lose their precision in the products; balanced weights stay
	// exactly 1, keeping the sum and the division of Fitness() bit for bit.
	top := 0.0
	for _, v := range w {
		top = max(top, v)
	}
	s := p.Scores()
	num, den := 0.0, 0.0
	for i := range s {
		wi := w[i] / top
		num += wi * s[i]
		den += wi
	}
	return num / den
}

// String writes the weights as ParseWeights reads them, e.g.
// "start-latency=1,density=1,isolation=3,snapshotting=1,agent-control=1".
func (w Weights) String() string {
	parts := make([]string, NumAxes)
	for i, v := range w {
		parts[i] = Axis(i).Name() + "=" + strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// MarshalJSON writes the weights as an object keyed by the axes' JSON names.
func (w Weights) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range w {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%s", Axis(i).JSONName(), strconv.FormatFloat(v, 'g', -1, 64))
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// UnmarshalJSON reads what MarshalJSON writes; absent axes weigh 1.
func (w *Weights) UnmarshalJSON(b []byte) error {
	var m map[string]float64
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("weights must be an object of axis to number: %w", err)
	}
	out := Balanced()
	for k, v := range m {
		a, err := ParseAxis(k)
		if err != nil {
			return err
		}
		out[a] = v
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*w = out
	return nil
}

// ParseWeights reads "axis=weight" pairs separated by commas, such as
// "start-latency=2,isolation=3". Axes not named weigh 1, so naming one axis
// says how much more (or less) it matters than the others; weigh an axis 0
// to leave it out. Axis names may be the full name, the JSON name or the
// short label.
func ParseWeights(s string) (Weights, error) {
	w := Balanced()
	if strings.TrimSpace(s) == "" {
		return w, fmt.Errorf("empty weights: write axis=weight pairs separated by commas, e.g. start-latency=2,isolation=3")
	}
	seen := map[Axis]bool{}
	for _, pair := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(pair, "=")
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		if !ok || name == "" || val == "" {
			return w, fmt.Errorf("bad weight %q: write axis=weight, e.g. isolation=3", pair)
		}
		a, err := ParseAxis(name)
		if err != nil {
			return w, err
		}
		if seen[a] {
			return w, fmt.Errorf("axis %s is weighted twice", a)
		}
		seen[a] = true
		v, err := strconv.ParseFloat(val, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return w, fmt.Errorf("bad weight %q for %s: a weight is a finite number >= 0", val, a)
		}
		w[a] = v
	}
	if err := w.Validate(); err != nil {
		return w, err
	}
	return w, nil
}

// Preset is a named weighting for a common agent workload.
type Preset struct {
	Name      string  `json:"name"`
	Weights   Weights `json:"weights"`
	Rationale string  `json:"rationale"`
}

var presets = []Preset{
	{"balanced", Weights{1, 1, 1, 1, 1},
		"the reference's unweighted mean: no axis matters more than another"},
	{"untrusted-code", Weights{1, 1, 3, 1, 1},
		"agents run code nobody reviewed, so the strength of the boundary outweighs everything else"},
	{"interactive", Weights{3, 1, 1, 2, 1},
		"a person or an agent loop waits on every spawn: cold start first, warm restore next"},
	{"dense-fleet", Weights{2, 3, 1, 1, 1},
		"thousands of concurrent agents per host: per-instance overhead sets the bill, spawn speed the throughput"},
	{"branching", Weights{1, 1, 1, 3, 2},
		"tree-search and speculative agents fork a primed context per step: snapshot and restore, driven programmatically"},
}

// Presets lists the named weightings in a fixed order, balanced first.
func Presets() []Preset { return append([]Preset(nil), presets...) }

// PresetNames lists the presets' names in order.
func PresetNames() []string {
	names := make([]string, len(presets))
	for i, p := range presets {
		names[i] = p.Name
	}
	return names
}

// LookupPreset finds a preset by name, case-insensitively.
func LookupPreset(name string) (Preset, error) {
	for _, p := range presets {
		if p.Name == asciiLower(name) {
			return p, nil
		}
	}
	return Preset{}, fmt.Errorf("unknown preset %q: valid presets are %s", name, strings.Join(PresetNames(), ", "))
}
