package mcpserver

import (
	"github.com/agentic-eval/agentic-eval/evaluate"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/vms"
)

// The tools' inputs and outputs. They are plain structs (no custom JSON
// marshalling) so that the schema the SDK derives from them is exactly what
// goes over the wire; the jsonschema tags are the descriptions an agent
// reads.

// WeightingInput chooses how much each axis matters. It is embedded in the
// inputs of the tools that rank or score.
type WeightingInput struct {
	Weights map[string]float64 `json:"weights,omitempty" jsonschema:"per-axis importance, e.g. {\"isolation\": 3, \"start-latency\": 2}; keys are axis names (start-latency, density, isolation, snapshotting, agent-control; JSON or short names also work); axes not named weigh 1; weigh an axis 0 to ignore it; only the ratios matter. Give weights or preset, not both"`
	Preset  string             `json:"preset,omitempty" jsonschema:"a named weighting for a common workload: balanced, untrusted-code, interactive, dense-fleet, branching (list_presets explains each); default balanced"`
}

// AxisNumbers holds one number per axis: scores (0 to 1) or weights.
type AxisNumbers struct {
	StartLatency float64 `json:"start_latency"`
	Density      float64 `json:"density"`
	Isolation    float64 `json:"isolation"`
	Snapshotting float64 `json:"snapshotting"`
	AgentControl float64 `json:"agent_control"`
}

func numbers(v [vms.NumAxes]float64) AxisNumbers {
	return AxisNumbers{v[vms.StartLatency], v[vms.Density], v[vms.Isolation], v[vms.Snapshotting], v[vms.AgentControl]}
}

// Weighting is the weighting an answer was computed under.
type Weighting struct {
	Preset  string      `json:"preset,omitempty" jsonschema:"the preset's name, when the weighting is a preset"`
	Weights AxisNumbers `json:"weights" jsonschema:"the weight of each axis; fitness is the weighted mean of the scores"`
	Label   string      `json:"label" jsonschema:"the weighting in words"`
}

type noInput struct{}

// --- list_systems ---

// SystemName is a system's canonical name and the other spellings accepted.
type SystemName struct {
	Name    string   `json:"name" jsonschema:"canonical name, accepted by every tool"`
	Aliases []string `json:"aliases" jsonschema:"other accepted spellings, case-insensitive"`
}

// AxisInfo describes one axis.
type AxisInfo struct {
	Name     string `json:"name" jsonschema:"the axis's name, as used in weights"`
	JSONName string `json:"json_name" jsonschema:"the field name of the axis in scores and weights objects"`
	Meaning  string `json:"meaning" jsonschema:"what the axis measures and what a score of 1.0 stands for"`
}

// ListSystemsOutput is list_systems' answer.
type ListSystemsOutput struct {
	Systems []SystemName `json:"systems"`
	Axes    []AxisInfo   `json:"axes"`
	Scale   string       `json:"scale"`
}

// --- show_system ---

// ShowSystemInput names a system.
type ShowSystemInput struct {
	Name string `json:"name" jsonschema:"a system name or alias, case-insensitive: aethervm, firecracker (fc), cloud-hypervisor (chv), gvisor (runsc), kata, qemu-kvm (qemu, kvm), docker (runc)"`
	WeightingInput
}

// AxisEvidence is one axis of a curated profile with the evidence behind it.
type AxisEvidence struct {
	Axis     string  `json:"axis"`
	Score    float64 `json:"score"`
	Meaning  string  `json:"meaning"`
	Evidence string  `json:"evidence" jsonschema:"the curated judgment behind the score"`
}

// ShowSystemOutput is show_system's answer.
type ShowSystemOutput struct {
	System     string         `json:"system"`
	Aliases    []string       `json:"aliases"`
	Scores     AxisNumbers    `json:"scores" jsonschema:"curated scores, 0.0 to 1.0"`
	Fitness    float64        `json:"fitness" jsonschema:"weighted mean of the scores under the weighting"`
	Rank       int            `json:"rank" jsonschema:"1 is the best fit among all systems under the weighting"`
	Of         int            `json:"of"`
	Weighting  Weighting      `json:"weighting"`
	Axes       []AxisEvidence `json:"axes"`
	Provenance string         `json:"provenance" jsonschema:"always curated: these are judgments; evaluate sets them beside measurements"`
}

// --- rank_systems ---

// RankedSystem is one row of a ranking.
type RankedSystem struct {
	Rank    int         `json:"rank"`
	System  string      `json:"system"`
	Fitness float64     `json:"fitness"`
	Scores  AxisNumbers `json:"scores"`
}

// RankOutput is rank_systems' answer.
type RankOutput struct {
	Weighting  Weighting      `json:"weighting"`
	Ranked     []RankedSystem `json:"ranked" jsonschema:"every system, best fit first; ties keep the catalog's order"`
	Provenance string         `json:"provenance"`
}

// --- compare_systems ---

// CompareInput names two systems.
type CompareInput struct {
	A string `json:"a" jsonschema:"the system to judge (name or alias)"`
	B string `json:"b" jsonschema:"the baseline to judge it against (name or alias)"`
	WeightingInput
}

// AxisComparison is one axis of a comparison.
type AxisComparison struct {
	Axis  string  `json:"axis"`
	A     float64 `json:"a"`
	B     float64 `json:"b"`
	Delta float64 `json:"delta" jsonschema:"a minus b: positive means a is better on this axis"`
}

// CompareOutput is compare_systems' answer.
type CompareOutput struct {
	A            string           `json:"a"`
	B            string           `json:"b"`
	FitnessA     float64          `json:"fitness_a"`
	FitnessB     float64          `json:"fitness_b"`
	FitnessDelta float64          `json:"fitness_delta" jsonschema:"fitness of a minus fitness of b under the weighting: positive means a fits the workload better"`
	Axes         []AxisComparison `json:"axes"`
	Weighting    Weighting        `json:"weighting"`
	Summary      string           `json:"summary"`
}

// --- list_presets ---

// PresetInfo is one named weighting.
type PresetInfo struct {
	Name      string      `json:"name"`
	Weights   AxisNumbers `json:"weights"`
	Rationale string      `json:"rationale" jsonschema:"the workload the preset stands for and why it weighs the axes so"`
}

// ListPresetsOutput is list_presets' answer.
type ListPresetsOutput struct {
	Presets []PresetInfo `json:"presets"`
}

// --- doctor ---

// DriverStatus is one driver's fingerprint on this host.
type DriverStatus struct {
	System       string               `json:"system"`
	Variant      string               `json:"variant" jsonschema:"the runtime path measured, e.g. docker, gvisor/systrap"`
	Available    bool                 `json:"available" jsonschema:"whether the variant can be measured on this host"`
	Fingerprint  measure.Fingerprint  `json:"fingerprint" jsonschema:"why not available and the fix, or the version found"`
	Capabilities measure.Capabilities `json:"capabilities"`
}

// DoctorOutput is doctor's answer.
type DoctorOutput struct {
	Drivers   []DriverStatus `json:"drivers"`
	Available int            `json:"available" jsonschema:"how many variants can be measured here"`
	Note      string         `json:"note"`
}

// --- evaluate ---

// EvaluateInput optionally names a saved run.
type EvaluateInput struct {
	ResultsPath string `json:"results_path,omitempty" jsonschema:"path (on the server's host, inside its --results-dir directories) of a results file written by agentic-eval vms measure; without it the evaluation is the curated catalog only"`
	WeightingInput
}

// VariantAxis is one measured (or checklist, or declared) axis score.
type VariantAxis struct {
	Axis       string  `json:"axis"`
	Score      float64 `json:"score"`
	Provenance string  `json:"provenance" jsonschema:"measured, checklist or declared"`
	Basis      string  `json:"basis" jsonschema:"the raw figure and how the rubric mapped it"`
}

// VariantScores are one measured variant's scores.
type VariantScores struct {
	Variant string        `json:"variant"`
	Axes    []VariantAxis `json:"axes"`
}

// EvaluatedSystem is one system's row: curated beside measured.
type EvaluatedSystem struct {
	Rank           int                     `json:"rank"`
	System         string                  `json:"system"`
	Fitness        float64                 `json:"fitness" jsonschema:"effective fitness: measured axes where measured, curated elsewhere"`
	CuratedFitness float64                 `json:"curated_fitness"`
	Primary        string                  `json:"primary,omitempty" jsonschema:"the variant the measured axes come from"`
	Axes           []evaluate.AxisValue    `json:"axes" jsonschema:"the effective profile, each axis with its provenance (measured, checklist, declared, curated)"`
	Variants       []VariantScores         `json:"variants,omitempty"`
	Disagreements  []evaluate.Disagreement `json:"disagreements,omitempty" jsonschema:"axes where a measurement differs from the curated score by 0.15 or more, with both evidences"`
	NotMeasured    []evaluate.NotMeasured  `json:"not_measured,omitempty" jsonschema:"each variant the run tried without a measured figure, with its reason and fix (or one entry without a variant when the run did not include the system); the row is curated only when primary is empty"`
}

// EvaluateOutput is evaluate's answer.
type EvaluateOutput struct {
	Rubric    string            `json:"rubric" jsonschema:"the scoring rubric's version: scores of different versions are not comparable"`
	Weighting Weighting         `json:"weighting"`
	Measured  bool              `json:"measured" jsonschema:"whether a results file was read"`
	RunID     string            `json:"run_id,omitempty"`
	Host      string            `json:"host,omitempty"`
	Rows      []EvaluatedSystem `json:"rows" jsonschema:"every system, best effective fitness first"`
	Notes     []string          `json:"notes"`
}

// --- recommend ---

// RecommendInput describes the workload to fit.
type RecommendInput struct {
	Workload        string `json:"workload" jsonschema:"the workload: a preset name (balanced, untrusted-code, interactive, dense-fleet, branching) or free weights as axis=weight pairs such as isolation=3,start-latency=2 (axes not named weigh 1)"`
	RequireMeasured bool   `json:"require_measured,omitempty" jsonschema:"recommend only a system measured in the results file (needs results_path)"`
	ResultsPath     string `json:"results_path,omitempty" jsonschema:"path (on the server's host, inside its --results-dir directories) of a results file written by agentic-eval vms measure; without it the recommendation rests on the curated catalog only"`
}

// RecommendedAxis is one axis of the recommended system.
type RecommendedAxis struct {
	Axis          string  `json:"axis"`
	Score         float64 `json:"score"`
	Curated       float64 `json:"curated"`
	Provenance    string  `json:"provenance" jsonschema:"measured, checklist, declared or curated"`
	Variant       string  `json:"variant,omitempty"`
	Weight        float64 `json:"weight" jsonschema:"the axis's share of the weighting, 0 to 1"`
	Contribution  float64 `json:"contribution" jsonschema:"weight times score: how much of the fitness this axis carries"`
	Evidence      string  `json:"evidence" jsonschema:"the curated evidence line for this axis"`
	MeasuredBasis string  `json:"measured_basis,omitempty" jsonschema:"the measured figure behind the score, when not curated"`
}

// Contender is another system in the ranking.
type Contender struct {
	System   string  `json:"system"`
	Fitness  float64 `json:"fitness"`
	Measured bool    `json:"measured"`
}

// RecommendOutput is recommend's answer.
type RecommendOutput struct {
	System        string                  `json:"system" jsonschema:"the recommended system"`
	Fitness       float64                 `json:"fitness"`
	Measured      bool                    `json:"measured" jsonschema:"whether any of its scores was measured on the results file's host"`
	Workload      string                  `json:"workload"`
	Weighting     Weighting               `json:"weighting"`
	Reasons       []string                `json:"reasons" jsonschema:"why this system, in sentences"`
	Axes          []RecommendedAxis       `json:"axes"`
	Strongest     []RecommendedAxis       `json:"strongest" jsonschema:"the axes that carry most of its fitness, with their evidence"`
	Disagreements []evaluate.Disagreement `json:"disagreements,omitempty" jsonschema:"where measurement contradicts the curated judgment for this system"`
	Ranking       []Contender             `json:"ranking" jsonschema:"every eligible system, best first"`
	Caveats       []string                `json:"caveats"`
	Rubric        string                  `json:"rubric"`
}
