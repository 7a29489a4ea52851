package evaluate

import (
	"math"
	"strings"

	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/rubric"
	"github.com/agentic-eval/agentic-eval/vms"
)

// AxisValue is one axis of the effective profile.
type AxisValue struct {
	Axis       string            `json:"axis"`
	Score      float64           `json:"score"`
	Curated    float64           `json:"curated"`
	Provenance rubric.Provenance `json:"provenance"`
	Variant    string            `json:"variant,omitempty"` // the variant measured, when not curated
	Basis      string            `json:"basis"`
}

// Disagreement is an axis where a measured variant and the catalog differ
// by rubric.DisagreementThreshold or more.
type Disagreement struct {
	Axis            string            `json:"axis"`
	Variant         string            `json:"variant"`
	Curated         float64           `json:"curated"`
	Measured        float64           `json:"measured"`
	Delta           float64           `json:"delta"` // measured minus curated
	Provenance      rubric.Provenance `json:"provenance"`
	CuratedEvidence string            `json:"curated_evidence"`
	MeasuredBasis   string            `json:"measured_basis"`
}

// Row is one system: curated, measured per variant, and effective.
type Row struct {
	System   vms.System      `json:"system"`
	Curated  vms.Profile     `json:"curated"`
	Variants []rubric.Scored `json:"variants,omitempty"`
	// Primary is the variant the effective profile takes its measured axes
	// from; "" when nothing was measured.
	Primary        string         `json:"primary,omitempty"`
	Effective      vms.Profile    `json:"-"`
	Axes           []AxisValue    `json:"effective"`
	Fitness        float64        `json:"fitness"`         // effective, under the weights
	CuratedFitness float64        `json:"curated_fitness"` // curated, under the weights
	Disagreements  []Disagreement `json:"disagreements,omitempty"`
	// NotMeasured says why no variant was measured here.
	NotMeasured string `json:"not_measured,omitempty"`
}

// Evaluation is the side-by-side view of a run, ranked by effective fitness.
type Evaluation struct {
	Rubric  string      `json:"rubric"`
	Weights vms.Weights `json:"weights"`
	RunID   string      `json:"run_id,omitempty"`
	Host    string      `json:"host,omitempty"`
	Rows    []Row       `json:"rows"`
}

// Evaluate combines results (nil: nothing measured) with the catalog under
// weights w.
func Evaluate(res *measure.Results, w vms.Weights) Evaluation {
	ev := Evaluation{Rubric: rubric.Version, Weights: w}
	var variants []measure.VariantResult
	if res != nil {
		ev.RunID = res.RunID
		ev.Host = strings.TrimSpace(res.Host.CPUModel + ", kernel " + res.Host.KernelRelease)
		variants = res.Systems
	}
	var rows []Row
	for _, sys := range vms.All() {
		rows = append(rows, evaluateSystem(sys, variants, w))
	}
	// Rank best-first by effective fitness, stable in catalog order.
	profiles := make([]vms.Profile, len(rows))
	for i, r := range rows {
		profiles[i] = r.Effective
	}
	ranked := vms.RankProfiles(profiles, w)
	for _, p := range ranked {
		for _, r := range rows {
			if r.System == p.System {
				ev.Rows = append(ev.Rows, r)
			}
		}
	}
	return ev
}

func evaluateSystem(sys vms.System, variants []measure.VariantResult, w vms.Weights) Row {
	cur := vms.ProfileOf(sys)
	row := Row{System: sys, Curated: cur, Effective: cur, CuratedFitness: w.Fitness(cur)}
	var reasons []string
	for _, vr := range variants {
		if vr.System != sys {
			continue
		}
		if !vr.Fingerprint.Available {
			if vr.Variant == sys.Name() {
				reasons = append(reasons, vr.Fingerprint.Reason)
			} else {
				reasons = append(reasons, vr.Variant+": "+vr.Fingerprint.Reason)
			}
			continue
		}
		sc := rubric.Score(vr)
		row.Variants = append(row.Variants, sc)
		if row.Primary == "" && hasMeasured(sc) {
			row.Primary = vr.Variant
		}
		for _, a := range sc.Axes {
			c := cur.Score(a.Axis)
			if d := a.Score - c; math.Abs(d) >= rubric.DisagreementThreshold-1e-9 {
				row.Disagreements = append(row.Disagreements, Disagreement{
					Axis: a.Axis.Name(), Variant: vr.Variant, Curated: c, Measured: a.Score,
					Delta: math.Round(d*1000) / 1000, Provenance: a.Provenance,
					CuratedEvidence: evidenceFor(cur, a.Axis), MeasuredBasis: a.Basis,
				})
			}
		}
	}
	var primary *rubric.Scored
	for i := range row.Variants {
		if row.Variants[i].Variant == row.Primary {
			primary = &row.Variants[i]
		}
	}
	for _, ax := range vms.Axes() {
		v := AxisValue{Axis: ax.Name(), Score: cur.Score(ax), Curated: cur.Score(ax), Provenance: rubric.Curated, Basis: evidenceFor(cur, ax)}
		if primary != nil {
			if s, ok := primary.Axis(ax); ok {
				v.Score, v.Provenance, v.Variant, v.Basis = s.Score, s.Provenance, primary.Variant, s.Basis
			}
		}
		row.Effective = row.Effective.WithScore(ax, v.Score)
		row.Axes = append(row.Axes, v)
	}
	row.Fitness = w.Fitness(row.Effective)
	if row.Primary == "" {
		if len(reasons) == 0 {
			reasons = append(reasons, "not measured in this run")
		}
		row.NotMeasured = strings.Join(reasons, "; ")
	}
	return row
}

func hasMeasured(s rubric.Scored) bool {
	for _, a := range s.Axes {
		if a.Provenance == rubric.Measured {
			return true
		}
	}
	return false
}

// evidenceFor is the curated evidence line behind an axis: the catalog
// writes one line per axis, in axis order.
func evidenceFor(p vms.Profile, a vms.Axis) string {
	if int(a) < len(p.Evidence) {
		return p.Evidence[a]
	}
	return ""
}
