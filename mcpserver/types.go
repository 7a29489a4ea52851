package mcpserver

import (
	"github.com/agentic-eval/agentic-eval/app"
	"github.com/agentic-eval/agentic-eval/evaluate"
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
	System       string           `json:"system"`
	Variant      string           `json:"variant" jsonschema:"the runtime path measured, e.g. docker, gvisor/systrap"`
	Available    bool             `json:"available" jsonschema:"whether the variant can be measured on this host"`
	Fingerprint  app.Fingerprint  `json:"fingerprint" jsonschema:"why not available and the fix, or the version found"`
	Capabilities app.Capabilities `json:"capabilities"`
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
	WhatIf      bool   `json:"what_if,omitempty" jsonschema:"rank the systems that cannot run on the results' host with those that can (each still marked); by default they are listed apart"`
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
	RunsHere       *bool                   `json:"runs_here,omitempty" jsonschema:"whether the system, as scored, runs on the results' host; absent when the host is not known"`
	Needs          []string                `json:"needs,omitempty" jsonschema:"what a system that cannot run on the host would need (KVM, a binary, a release)"`
	WhatIfRank     int                     `json:"what_if_rank,omitempty" jsonschema:"its place among every system, those that cannot run on the host included"`
	Emulated       string                  `json:"emulated,omitempty" jsonschema:"set when its figures come from software emulation (QEMU under TCG): not representative of the system"`
}

// EvaluateOutput is evaluate's answer.
type EvaluateOutput struct {
	Rubric    string            `json:"rubric" jsonschema:"the scoring rubric's version: scores of different versions are not comparable"`
	Weighting Weighting         `json:"weighting"`
	Measured  bool              `json:"measured" jsonschema:"whether a results file was read"`
	RunID     string            `json:"run_id,omitempty"`
	Host      string            `json:"host,omitempty"`
	Headline  string            `json:"headline" jsonschema:"the answer's first line: which systems can run on the host and are ranked, which are apart"`
	Rows      []EvaluatedSystem `json:"rows" jsonschema:"the systems that can run on the results' host (every system without a results file, or with what_if), best effective fitness first"`
	Apart     []EvaluatedSystem `json:"apart,omitempty" jsonschema:"the systems that cannot run on the results' host, each with what it would need and where it would stand (what_if_rank)"`
	Notes     []string          `json:"notes"`
	Figures   []VariantFigures  `json:"figures,omitempty" jsonschema:"every measured variant's figures behind the scores, each with its exec path: the probe's start latency beside the workloads (time to interactive, warm exec, files, primed fork)"`
}

// --- recommend ---

// RecommendInput describes the workload to fit.
type RecommendInput struct {
	Workload        string `json:"workload" jsonschema:"the workload: a preset name (balanced, untrusted-code, interactive, dense-fleet, branching) or free weights as axis=weight pairs such as isolation=3,start-latency=2 (axes not named weigh 1)"`
	RequireMeasured bool   `json:"require_measured,omitempty" jsonschema:"recommend only a system whose every weighted axis was measured in the results file (needs results_path; a declared class, a published figure or a curated score does not count)"`
	WhatIf          bool   `json:"what_if,omitempty" jsonschema:"rank the systems that cannot run on the host (the results' host, or this server's host without results_path) with those that can; by default they are listed apart"`
	ResultsPath     string `json:"results_path,omitempty" jsonschema:"path (on the server's host, inside its --results-dir directories) of a results file written by agentic-eval vms measure; without it the recommendation rests on the curated catalog only"`
	ConstraintsInput
}

// ConstraintsInput are recommend's hard limits: a system failing one is
// never recommended, and a limit with no figure to test it is untested for
// that system, never passed.
type ConstraintsInput struct {
	MaxStartP50MS   float64 `json:"max_start_p50_ms,omitempty" jsonschema:"hard limit on the median start in milliseconds: the time to the first verified result of the start workload where measured, else to the probe's ready line; needs results_path (untested otherwise)"`
	MaxStartP99MS   float64 `json:"max_start_p99_ms,omitempty" jsonschema:"hard limit on the 99th percentile start in milliseconds; needs a run of 100 samples or more (untested otherwise)"`
	MinIsolation    string  `json:"min_isolation,omitempty" jsonschema:"weakest isolation class accepted: shared-kernel < software-emulation < userspace-kernel < hardware-virtualization (observed by the probe where measured, else declared by the driver; QEMU under TCG is software-emulation)"`
	RequireSnapshot bool    `json:"require_snapshot,omitempty" jsonschema:"require snapshot and restore (fork) of a running sandbox: measured where the run attempted it, else the driver's declared capability"`
	MaxMemoryMiB    float64 `json:"max_memory_mib,omitempty" jsonschema:"hard limit on host memory per idle sandbox in MiB (the density phase's figure); needs results_path (untested otherwise)"`
	RequireRunnable bool    `json:"require_runnable,omitempty" jsonschema:"require a variant available on the results file's host; needs results_path (untested otherwise)"`
	Obtainable      *bool   `json:"obtainable,omitempty" jsonschema:"require a public release (default true); false also considers systems nobody can install today, and says so first when one is recommended"`
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
	From       string   `json:"from,omitempty" jsonschema:"what its fitness rests on: measured here, partly measured, curated, published; and the TCG caveat when its figures come from software emulation"`
	RunsHere   *bool    `json:"runs_here,omitempty"`
	Needs      []string `json:"needs,omitempty" jsonschema:"what it would need to run on the host"`
	WhatIfRank int      `json:"what_if_rank,omitempty"`
	System     string   `json:"system"`
	Fitness    float64  `json:"fitness"`
	Measured   bool     `json:"measured"`
	FitnessLo  *float64 `json:"fitness_ci_lo,omitempty" jsonschema:"lower bound of the fitness's bootstrap interval (measured rows only)"`
	FitnessHi  *float64 `json:"fitness_ci_hi,omitempty" jsonschema:"upper bound of the fitness's bootstrap interval (measured rows only)"`
	Rank       int      `json:"rank" jsonschema:"the evaluation's rank; systems whose fitness cannot be told apart share it"`
	Tied       bool     `json:"tied,omitempty"`
}

// ConstraintsOutput is how every system stood against the constraints.
type ConstraintsOutput struct {
	Limits   evaluate.Constraints `json:"limits"`
	Passing  []string             `json:"passing" jsonschema:"systems passing every constraint, best fit first"`
	Excluded []ExcludedSystem     `json:"excluded,omitempty" jsonschema:"systems left out, best fit first, with each constraint they fail or leave untested"`
}

// ExcludedSystem is a system left out by the constraints.
type ExcludedSystem struct {
	System string           `json:"system"`
	Status string           `json:"status" jsonschema:"fail (a constraint failed) or untested (no figure to test a limit against)"`
	Checks []evaluate.Check `json:"checks" jsonschema:"the constraints it did not pass: the figure tested and its provenance (measured, declared, curated, none)"`
}

// RecommendOutput is recommend's answer.
type RecommendOutput struct {
	Headline      string                  `json:"headline" jsonschema:"the answer's first line: the system for this host, whether it runs here (or as what), and what it would need when it cannot"`
	From          string                  `json:"from,omitempty" jsonschema:"what the recommended system's fitness rests on, with the TCG caveat when its figures come from software emulation"`
	Apart         []Contender             `json:"apart,omitempty" jsonschema:"the systems that cannot run on the host, with what each would need and where it would stand"`
	Verdict       string                  `json:"verdict" jsonschema:"the answer in one sentence: the system recommended, or that no system passes the constraints"`
	System        string                  `json:"system" jsonschema:"the recommended system; empty when no system passes the constraints"`
	Availability  *vms.Availability       `json:"availability,omitempty" jsonschema:"whether the recommended system can be had (a public release) and the source"`
	TiedWith      []string                `json:"tied_with,omitempty" jsonschema:"systems whose fitness cannot be told apart from the recommended one's"`
	Constraints   *ConstraintsOutput      `json:"constraints,omitempty"`
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
	Figures       []VariantFigures        `json:"figures,omitempty" jsonschema:"the recommended system's measured variants' figures, each with its exec path: the probe's start latency beside the workloads"`
}

// --- measured figures (evaluate, recommend) ---

// Figure is one measured duration: the median with its confidence
// interval, and the 99th percentile where the sample supports one.
type Figure struct {
	N        int      `json:"n" jsonschema:"how many samples the figure rests on"`
	MedianMS float64  `json:"median_ms" jsonschema:"the median, in milliseconds"`
	CILoMS   float64  `json:"ci_lo_ms" jsonschema:"lower bound of the median's 95% confidence interval, in milliseconds"`
	CIHiMS   float64  `json:"ci_hi_ms" jsonschema:"upper bound of the median's 95% confidence interval, in milliseconds"`
	P99MS    *float64 `json:"p99_ms,omitempty" jsonschema:"the 99th percentile in milliseconds, only from 100 samples or more"`
}

// StartFigure is the probe's start latency.
type StartFigure struct {
	ExecPath string `json:"exec_path" jsonschema:"probe: the sandbox's own entry point printed its ready line"`
	Measures string `json:"measures" jsonschema:"what the figure spans"`
	Figure
}

// VariantFigures are one measured variant's figures: the probe's start
// latency beside what an agent waits for on the Python image.
type VariantFigures struct {
	Variant      string           `json:"variant" jsonschema:"the runtime path measured, e.g. docker, docker/runc, gvisor/systrap"`
	StartLatency *StartFigure     `json:"start_latency,omitempty" jsonschema:"request to the probe's ready line in a rootfs holding only the probe: a lower bound of what an agent waits for"`
	Workloads    *WorkloadFigures `json:"workloads,omitempty" jsonschema:"code run in sandboxes of the Python image, when the run measured workloads"`
	Fleet        *FleetFigures    `json:"fleet,omitempty" jsonschema:"the fleet-scale phases: burst ladder, open-loop arrivals, capacity fill, churn"`
}

// WorkloadFigures are the workload phase's figures for one variant.
type WorkloadFigures struct {
	Version        string            `json:"version" jsonschema:"the workloads' version: figures of different versions are not comparable"`
	ImageKey       string            `json:"image_key,omitempty" jsonschema:"the cache key of the image's package list"`
	ImageBytes     int64             `json:"image_bytes,omitempty" jsonschema:"the image's tar size in bytes"`
	NotMeasured    string            `json:"not_measured,omitempty" jsonschema:"why nothing was measured, when nothing was"`
	TimeToInteract []TTIFigure       `json:"time_to_interactive,omitempty" jsonschema:"per workload, fresh sandboxes one after another, every step timed from the request"`
	WarmExec       []WarmExecFigure  `json:"warm_exec,omitempty" jsonschema:"per workload and exec path, runs in one warm sandbox: the per-tool-call cost on a warm pool"`
	Files          []FileFigure      `json:"files,omitempty" jsonschema:"per size, direction and exec path, files moved into and out of one sandbox, verified by SHA-256"`
	PrimedFork     *PrimedForkFigure `json:"primed_fork,omitempty" jsonschema:"python3 with numpy imported and a value assigned, snapshotted, restored and forked"`
}

// TTIFigure is one workload's time to interactive.
type TTIFigure struct {
	Workload     string  `json:"workload"`
	ExecPath     string  `json:"exec_path" jsonschema:"probe: the sandbox's agent ran the workload"`
	Returned     Figure  `json:"returned" jsonschema:"request to the runtime's start returning"`
	Ready        Figure  `json:"ready" jsonschema:"request to the probe's ready line"`
	FirstResult  Figure  `json:"first_result" jsonschema:"request to the first verified result: what an agent waits for"`
	SecondResult Figure  `json:"second_result" jsonschema:"request to the second verified result in the same sandbox"`
	FirstPenalty float64 `json:"first_penalty" jsonschema:"median of each sandbox's first run over its second (run times only): what a cold first call costs beyond a warm one; 0 when not measured"`
	Failed       int     `json:"failed" jsonschema:"sandboxes whose start or result failed or did not verify"`
}

// WarmExecFigure is one workload run again and again in one sandbox
// through one exec path.
type WarmExecFigure struct {
	Workload string `json:"workload"`
	ExecPath string `json:"exec_path" jsonschema:"probe (the sandbox's agent) or runtime (the runtime's own exec: docker exec, runc exec, runsc exec)"`
	Runs     Figure `json:"runs" jsonschema:"each run from the request to the verified result"`
	Failed   int    `json:"failed"`
}

// FileFigure is one size moved one way through one exec path.
type FileFigure struct {
	Direction     string  `json:"direction" jsonschema:"put (into the sandbox) or get (out of it)"`
	Bytes         int64   `json:"bytes"`
	ExecPath      string  `json:"exec_path" jsonschema:"probe (the sandbox's agent, in chunks) or runtime (the runtime's own copy path: Docker's archive API)"`
	Path          string  `json:"path,omitempty" jsonschema:"where the file lived in the sandbox"`
	PathWhy       string  `json:"path_why,omitempty" jsonschema:"why the file went there, when not the work dir"`
	Latency       *Figure `json:"latency,omitempty" jsonschema:"each transfer from the request to its end; absent when capped"`
	MBps          float64 `json:"mbps" jsonschema:"the median's throughput in MB (10^6 bytes) per second; 0 when not measured"`
	Verified      int     `json:"verified" jsonschema:"transfers whose SHA-256 matched"`
	CrossVerified int     `json:"cross_verified,omitempty" jsonschema:"transfers the other exec path saw intact (a runtime put the probe read back, a probe put the runtime got)"`
	Failed        int     `json:"failed"`
	Cap           string  `json:"cap,omitempty" jsonschema:"why this size or exec path was not measured through the driver, e.g. a runtime without a copy path of its own"`
}

// PrimedForkFigure is the primed interpreter, forked.
type PrimedForkFigure struct {
	NotMeasured   string  `json:"not_measured,omitempty" jsonschema:"why there is no figure: the runtime's own snapshot error, when it cannot snapshot here"`
	PrimeMS       float64 `json:"prime_ms" jsonschema:"numpy's import and the assignment, in the live interpreter"`
	SnapshotMS    float64 `json:"snapshot_ms"`
	SnapshotBytes int64   `json:"snapshot_bytes"`
	Restore       Figure  `json:"restore" jsonschema:"request to the restored probe's answer"`
	Verified      int     `json:"verified" jsonschema:"restored interpreters that returned the value with numpy still loaded, importing nothing"`
	Failed        int     `json:"failed"`
}
