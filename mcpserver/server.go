package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentic-eval/agentic-eval/app"
	"github.com/agentic-eval/agentic-eval/evaluate"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/rubric"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Options configure a server.
type Options struct {
	// Version is reported as the server's version; empty means the build's
	// (measure.ToolInfo).
	Version string
	// FingerprintTimeout bounds each driver's fingerprint; 0 means 30 s.
	FingerprintTimeout time.Duration
	// ResultsDirs are the only directories evaluate and recommend read a
	// results_path from (symlinks resolved); empty means the working
	// directory. A path given by an agent is never read from elsewhere.
	// The first is where the measure tool writes its results.
	ResultsDirs []string
	// AllowMeasure registers the measure tool, which runs real sandboxes
	// on this host; without it the tool is not listed.
	AllowMeasure bool

	// core is the application the tools call.
	core *app.App
}

// ToolNames lists the server's tools in the order they are registered;
// measure follows them only with Options.AllowMeasure.
var ToolNames = []string{
	"list_systems", "show_system", "rank_systems", "compare_systems",
	"list_presets", "doctor", "evaluate", "recommend",
}

// MetaLongRunning is the key, in each tool's _meta, of whether a call may
// run for minutes (MCP's annotations have no hint for it).
const MetaLongRunning = "agentic-eval/long-running"

const instructions = `agentic-eval rates VM and sandbox systems for an agent's workload: a fleet of
short-lived, isolated sandboxes, one per tool call or code run, spawned and destroyed all day.
Seven systems are scored 0.0 to 1.0 on five axes (start-latency, density, isolation,
snapshotting, agent-control). To choose a sandbox, call recommend with your workload (a preset
such as untrusted-code, or axis=weight pairs). list_systems and list_presets explain the
vocabulary; show_system, rank_systems and compare_systems read the curated catalog; doctor says
which runtimes this host can measure; evaluate and recommend read a results file written by
agentic-eval vms measure to set measurements beside the curated judgments; recommend also takes
hard limits (start p50/p99, isolation class, snapshot, memory, runnable here, obtainable).
Results files in the server's directories are resources (list and read them). Only a server
started with --allow-measure has the measure tool, which runs real sandboxes on its host.`

// New returns an MCP server with every tool registered.
func New(opts Options) *mcp.Server {
	s, _ := build(opts)
	return s
}

// drainTimeout bounds how long a stopping server waits for a cancelled
// measurement to remove what it made.
const drainTimeout = 2 * time.Minute

// build is New, with the measurer (nil without AllowMeasure).
func build(opts Options) (*mcp.Server, *measurer) {
	if opts.Version == "" {
		opts.Version = results.ToolInfo().Version
	}
	if opts.FingerprintTimeout <= 0 {
		opts.FingerprintTimeout = 30 * time.Second
	}
	if len(opts.ResultsDirs) == 0 {
		opts.ResultsDirs = []string{"."}
	}
	opts.core = app.New(app.Config{ResultsDirs: opts.ResultsDirs, FingerprintTimeout: opts.FingerprintTimeout})
	help := map[string]string{} // each tool's arguments, for schema errors
	s := mcp.NewServer(&mcp.Implementation{
		Name:    "agentic-eval",
		Title:   "agentic-eval: which VM or sandbox system fits a fleet of short-lived agent sandboxes",
		Version: opts.Version,
	}, &mcp.ServerOptions{Instructions: instructions})

	readOnly := func(title string) *mcp.ToolAnnotations {
		no := false
		return &mcp.ToolAnnotations{Title: title, ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &no, DestructiveHint: &no}
	}
	// doctor changes nothing that lasts, but it starts processes on the
	// host: read-only in MCP's sense (no state modified), not free.
	probing := readOnly("Which runtimes this host can measure (starts probe processes)")

	addTool(s, help, &mcp.Tool{
		Name:        "list_systems",
		Annotations: readOnly("List sandbox systems and axes"),
		Description: `Start here when choosing a VM or sandbox system for a fleet of short-lived agent sandboxes (one per tool call, code run or sub-agent). Lists the seven systems agentic-eval rates (aethervm, firecracker, cloud-hypervisor, gvisor, kata, qemu-kvm, docker) with the aliases each name accepts, and the five axes they are scored on with what a score of 1.0 means. The names and axes are the vocabulary of every other tool.`,
	}, listSystems)

	addTool(s, help, &mcp.Tool{
		Name:        "show_system",
		Annotations: readOnly("Show one system's profile"),
		Description: `Show one sandbox system's curated profile: its score (0.0 to 1.0) on each of the five axes, what each axis means, the evidence behind each score, and its fitness and rank among all seven under a weighting (balanced unless weights or preset is given). Use it to check why a system scores as it does before you rely on it. Scores are curated judgments, not measurements (see evaluate).`,
	}, showSystem)

	addTool(s, help, &mcp.Tool{
		Name:        "rank_systems",
		Annotations: readOnly("Rank systems for a workload"),
		Description: `Rank all seven sandbox systems best fit first for a workload, by fitness: the weighted mean of their five axis scores. Say what matters with a preset (balanced, untrusted-code, interactive, dense-fleet, branching) or with weights per axis, e.g. {"isolation": 3} when agents run code nobody reviewed. Curated scores only; evaluate ranks with measurements from a results file.`,
	}, rankSystems)

	addTool(s, help, &mcp.Tool{
		Name:        "compare_systems",
		Annotations: readOnly("Compare two systems"),
		Description: `Compare sandbox system a against baseline b on every axis: per-axis score differences (a minus b) and the fitness difference under a weighting (positive: a fits the workload better). Use it to decide between two finalists, e.g. firecracker vs gvisor. Curated scores.`,
	}, compareSystems)

	addTool(s, help, &mcp.Tool{
		Name:        "list_presets",
		Annotations: readOnly("List workload presets"),
		Description: `List the named weightings for common agent workloads (balanced, untrusted-code, interactive, dense-fleet, branching): how much each axis weighs and why. Pick the one closest to your workload and pass its name as preset (rank_systems, show_system, compare_systems, evaluate) or as workload (recommend).`,
	}, listPresets)

	addTool(s, help, &mcp.Tool{
		Name:        "doctor",
		Annotations: probing,
		Meta:        mcp.Meta{MetaLongRunning: true},
		Description: `Say which sandbox runtimes (driver variants such as docker, docker/runc, gvisor/systrap, qemu-kvm/kvm) could be measured on the host this server runs on, and for each one that cannot, precisely why and what would fix it. What it does to the host: it runs each runtime's version command, dials the Docker socket and asks the daemon's version, runs criu --version and criu check (CRIU inspects the kernel's checkpoint support), opens /dev/kvm, and, where KVM looks usable, boots a QEMU guest kernel under KVM for up to 20 s (once per process) to see whether guests really run. It creates no sandbox, container or file that outlives the call, and it can take up to a minute. Measuring is the measure tool's job (when the server allows it) or the agentic-eval vms measure command's.`,
	}, func(ctx context.Context, req *mcp.CallToolRequest, _ noInput) (*mcp.CallToolResult, DoctorOutput, error) {
		return doctor(ctx, opts)
	})

	addTool(s, help, &mcp.Tool{
		Name:        "evaluate",
		Annotations: readOnly("Curated vs measured, side by side"),
		Description: `Set the curated catalog beside real measurements and rank by effective fitness: each axis takes the measured score where a results file has one, and names its provenance (measured, checklist, declared, curated). Disagreements of 0.15 or more between measured and curated are listed with both evidences; systems not measured keep their curated scores and say why. Pass results_path, a results file written by agentic-eval vms measure. Its figures give each measured variant's numbers behind the scores: the probe's start latency beside what an agent waits for (time to the first verified result, warm exec, files in and out, the primed interpreter forked), each with its exec path (the probe, or the runtime's own exec and copy path). Without results_path the evaluation is curated only. It only reads (the catalog and one results file): this tool does NOT start measurements (they take minutes and need root); run agentic-eval vms measure, or the measure tool on a server started with --allow-measure.`,
	}, func(ctx context.Context, req *mcp.CallToolRequest, in EvaluateInput) (*mcp.CallToolResult, EvaluateOutput, error) {
		return evaluateTool(ctx, opts, in)
	})

	addTool(s, help, &mcp.Tool{
		Name:        "recommend",
		Annotations: readOnly("Recommend a sandbox system"),
		Description: `Recommend the sandbox system that best fits your workload, with the reasons: its score and provenance on every axis, the evidence for its strongest axes, where measurements disagree with the catalog, the runner-up and the margin. workload is a preset name (untrusted-code for unreviewed agent code, interactive when someone waits on each spawn, dense-fleet for thousands of sandboxes per host, branching for fork-per-step agents, balanced) or axis=weight pairs such as isolation=3,start-latency=2. Give results_path (a file from agentic-eval vms measure) to rank with this host's measurements (the answer then carries the recommended system's measured figures, each with its exec path), and require_measured=true to recommend only a measured system. Hard limits exclude systems outright: max_start_p50_ms, max_start_p99_ms, min_isolation (shared-kernel < userspace-kernel < hardware-virtualization), require_snapshot, max_memory_mib, require_runnable, and obtainable (default true: only systems with a public release). The answer lists the systems that pass, ranked by the weights, and for each excluded system the constraint it fails, the figure and its provenance; a limit with no figure to test it (e.g. a start bound without results_path) is untested for that system, never passed. Without results_path the answer rests on curated judgments. It only reads; it starts no measurement. The answer is for a host first: the systems that can run on the results file's host (without results_path, on this server's host, whose drivers it fingerprints as doctor does, up to a minute) are ranked; those that cannot are listed apart with what each would need (what_if ranks them too). headline is the answer in one line; a figure from QEMU under TCG software emulation carries that caveat everywhere it is used.`,
	}, func(ctx context.Context, req *mcp.CallToolRequest, in RecommendInput) (*mcp.CallToolResult, RecommendOutput, error) {
		return recommend(ctx, opts, in)
	})

	var m *measurer
	if opts.AllowMeasure {
		m = newMeasurer(opts)
		yes := true
		addTool(s, help, &mcp.Tool{
			Name: "measure",
			Meta: mcp.Meta{MetaLongRunning: true},
			Annotations: &mcp.ToolAnnotations{
				Title:        "Measure sandbox runtimes on this host (runs real sandboxes, minutes)",
				ReadOnlyHint: false, IdempotentHint: false, DestructiveHint: &yes, OpenWorldHint: new(bool),
			},
			Description: `Measure real sandbox runtimes on the host this server runs on, as agentic-eval vms measure does, and write a results file into the server's results directory for evaluate and recommend (results_path) and as a resource. What it does to the host: it first sweeps what earlier runs that were killed left behind (their ae-<run>-* containers, sandboxes, cgroups, mounts and scratch directories, found through the run ledger; nothing else), builds the sandbox probe, then starts and destroys real sandboxes (containers, gVisor sandboxes or QEMU guests) named ae-<run>-*, as root, with no network but loopback. One measurement at a time; it takes from seconds to minutes: send a progress token to follow it, and cancel the call to stop it (everything it created is removed, partial results are kept). variants are exact driver variant names (doctor says which are available), at most 4; phases default to start-latency; samples 1 to 200 (default 10).`,
		}, m.run)
	}
	addResultResources(s, opts.ResultsDirs)
	s.AddReceivingMiddleware(explainArguments(help), limitArguments())
	return s, m
}

// addTool registers a typed tool and records its arguments in help.
func addTool[In, Out any](s *mcp.Server, help map[string]string, t *mcp.Tool, h mcp.ToolHandlerFor[In, Out]) {
	help[t.Name] = describeArgs(reflect.TypeFor[In]())
	if t.Meta == nil {
		t.Meta = mcp.Meta{MetaLongRunning: false}
	}
	mcp.AddTool(s, t, h)
}

// describeArgs lists a struct's JSON fields with their kinds, e.g.
// "name (string, required), preset (string)".
func describeArgs(t reflect.Type) string {
	var parts []string
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		kind := "string"
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch ft.Kind() {
		case reflect.Bool:
			kind = "boolean"
		case reflect.Float64, reflect.Int:
			kind = "number"
		case reflect.Map:
			kind = "object of axis to number"
		}
		if !strings.Contains(opts, "omitempty") {
			kind += ", required"
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", name, kind))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// explainArguments appends the valid arguments to the SDK's schema
// validation errors, which say what was wrong but not what is valid.
func explainArguments(argHelp map[string]string) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			res, err := next(ctx, method, req)
			if err != nil || method != "tools/call" {
				return res, err
			}
			ctr, ok := res.(*mcp.CallToolResult)
			call, ok2 := req.(*mcp.CallToolRequest)
			if !ok || !ok2 || !ctr.IsError || call.Params == nil || len(ctr.Content) != 1 {
				return res, err
			}
			if tc, ok := ctr.Content[0].(*mcp.TextContent); ok && strings.HasPrefix(tc.Text, "validating \"arguments\"") {
				if help, ok := argHelp[call.Params.Name]; ok {
					tc.Text += "; valid arguments of " + call.Params.Name + ": " + help
				}
			}
			return res, err
		}
	}
}

// Serve runs a server on t until the client disconnects or ctx ends; a
// measurement still running is cancelled and waited for (its cleanup
// included, up to two minutes).
func Serve(ctx context.Context, t mcp.Transport, opts Options) error {
	s, m := build(opts)
	if m != nil {
		// The SDK waits for in-flight calls before Run returns: a stopping
		// server cancels its measurement first.
		defer context.AfterFunc(ctx, m.stop)()
	}
	err := s.Run(ctx, t)
	if m != nil {
		m.wait(drainTimeout)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("mcp server: %w", err)
	}
	return nil
}

// resolveWeighting turns the optional weights or preset into a weighting.
func resolveWeighting(in WeightingInput) (Weighting, vms.Weights, error) {
	w, err := app.WeightingOf(in.Preset, "", in.Weights)
	if err != nil {
		return Weighting{}, vms.Weights{}, err
	}
	return weighting(w), w.Weights, nil
}

// weighting is a weighting as the tools answer it.
func weighting(w app.Weighting) Weighting {
	return Weighting{Preset: w.Preset, Weights: numbers(w.Weights), Label: w.Label()}
}

func scoresOf(p vms.Profile) AxisNumbers { return numbers(p.Scores()) }

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func aliasesOf(s vms.System) []string {
	a := s.Aliases()
	if a == nil {
		a = []string{}
	}
	return a
}

func listSystems(ctx context.Context, req *mcp.CallToolRequest, _ noInput) (*mcp.CallToolResult, ListSystemsOutput, error) {
	out := ListSystemsOutput{Scale: "every score is 0.00 (unfit) to 1.00 (ideal for a fleet of short-lived agent sandboxes); fitness is the weighted mean of the five"}
	for _, s := range vms.All() {
		out.Systems = append(out.Systems, SystemName{Name: s.Name(), Aliases: aliasesOf(s)})
	}
	for _, a := range vms.Axes() {
		out.Axes = append(out.Axes, AxisInfo{Name: a.Name(), JSONName: a.JSONName(), Meaning: a.Meaning()})
	}
	return nil, out, nil
}

func showSystem(ctx context.Context, req *mcp.CallToolRequest, in ShowSystemInput) (*mcp.CallToolResult, ShowSystemOutput, error) {
	sys, err := vms.Parse(in.Name)
	if err != nil {
		return nil, ShowSystemOutput{}, fmt.Errorf("name: %w", err)
	}
	wt, w, err := resolveWeighting(in.WeightingInput)
	if err != nil {
		return nil, ShowSystemOutput{}, err
	}
	p := vms.ProfileOf(sys)
	ranked := vms.RankWeighted(w)
	out := ShowSystemOutput{
		System: sys.Name(), Aliases: aliasesOf(sys), Scores: scoresOf(p),
		Fitness: round3(w.Fitness(p)), Of: len(ranked), Weighting: wt, Provenance: string(rubric.Curated),
	}
	for i, r := range ranked {
		if r.System == sys {
			out.Rank = i + 1
		}
	}
	for _, a := range vms.Axes() {
		ev := ""
		if int(a) < len(p.Evidence) {
			ev = p.Evidence[a]
		}
		out.Axes = append(out.Axes, AxisEvidence{Axis: a.Name(), Score: p.Score(a), Meaning: a.Meaning(), Evidence: ev})
	}
	return nil, out, nil
}

func rankSystems(ctx context.Context, req *mcp.CallToolRequest, in WeightingInput) (*mcp.CallToolResult, RankOutput, error) {
	wt, w, err := resolveWeighting(in)
	if err != nil {
		return nil, RankOutput{}, err
	}
	out := RankOutput{Weighting: wt, Provenance: "curated catalog; evaluate ranks with measurements from a results file"}
	for i, p := range vms.RankWeighted(w) {
		out.Ranked = append(out.Ranked, RankedSystem{Rank: i + 1, System: p.System.Name(), Fitness: round3(w.Fitness(p)), Scores: scoresOf(p)})
	}
	return nil, out, nil
}

func compareSystems(ctx context.Context, req *mcp.CallToolRequest, in CompareInput) (*mcp.CallToolResult, CompareOutput, error) {
	a, err := vms.Parse(in.A)
	if err != nil {
		return nil, CompareOutput{}, fmt.Errorf("a: %w", err)
	}
	b, err := vms.Parse(in.B)
	if err != nil {
		return nil, CompareOutput{}, fmt.Errorf("b: %w", err)
	}
	wt, w, err := resolveWeighting(in.WeightingInput)
	if err != nil {
		return nil, CompareOutput{}, err
	}
	c := vms.CompareWeighted(a, b, w)
	out := CompareOutput{
		A: a.Name(), B: b.Name(),
		FitnessA: round3(w.Fitness(c.A)), FitnessB: round3(w.Fitness(c.B)),
		FitnessDelta: round3(c.FitnessDelta), Weighting: wt,
	}
	var better, worse []string
	for _, d := range c.AxisDeltas {
		out.Axes = append(out.Axes, AxisComparison{Axis: d.Axis.Name(), A: c.A.Score(d.Axis), B: c.B.Score(d.Axis), Delta: round3(d.Delta)})
		switch {
		case d.Delta > 1e-9:
			better = append(better, fmt.Sprintf("%s %+.2f", d.Axis, d.Delta))
		case d.Delta < -1e-9:
			worse = append(worse, fmt.Sprintf("%s %+.2f", d.Axis, d.Delta))
		}
	}
	verdict := "fits the workload better than"
	switch {
	case math.Abs(c.FitnessDelta) < 0.005:
		verdict = "fits the workload about as well as"
	case c.FitnessDelta < 0:
		verdict = "fits the workload less well than"
	}
	out.Summary = fmt.Sprintf("%s %s %s under %s (fitness %.2f vs %.2f, delta %+.2f)", a, verdict, b, wt.Label, out.FitnessA, out.FitnessB, c.FitnessDelta)
	if len(better) > 0 {
		out.Summary += "; " + a.Name() + " is ahead on " + strings.Join(better, ", ")
	}
	if len(worse) > 0 {
		out.Summary += "; behind on " + strings.Join(worse, ", ")
	}
	return nil, out, nil
}

func listPresets(ctx context.Context, req *mcp.CallToolRequest, _ noInput) (*mcp.CallToolResult, ListPresetsOutput, error) {
	var out ListPresetsOutput
	for _, p := range vms.Presets() {
		out.Presets = append(out.Presets, PresetInfo{Name: p.Name, Weights: numbers(p.Weights), Rationale: p.Rationale})
	}
	return nil, out, nil
}

func doctor(ctx context.Context, opts Options) (*mcp.CallToolResult, DoctorOutput, error) {
	out := DoctorOutput{Note: "measure the available variants with agentic-eval vms measure (not from this server), then pass the results file to evaluate or recommend"}
	rows, _, err := opts.core.Doctor(ctx)
	if err != nil {
		return nil, DoctorOutput{}, err
	}
	for _, r := range rows {
		out.Drivers = append(out.Drivers, DriverStatus{
			System: r.System.Name(), Variant: r.Variant, Available: r.Fingerprint.Available,
			Fingerprint: r.Fingerprint, Capabilities: r.Capabilities,
		})
		if r.Fingerprint.Available {
			out.Available++
		}
	}
	return nil, out, nil
}

// loadResults reads the optional results file, only from opts.ResultsDirs
// and under the rules of package results. The error names the path,
// shortened, and the rule; never the file's content.
func loadResults(opts Options, path string) (*results.Results, error) {
	if path == "" {
		return nil, nil
	}
	res, err := opts.core.ReadResults(path)
	if err != nil {
		return nil, fmt.Errorf("results_path: %w (give the path of a JSON file written by agentic-eval vms measure --out, inside the server's results directories, or leave results_path out for the curated catalog only)", err)
	}
	return res, nil
}

const curatedOnlyNote = "no results_path: every score is the curated catalog's judgment, nothing was measured; this server does not start measurements: run agentic-eval vms measure on the target host and pass its results file"

func evaluateTool(ctx context.Context, opts Options, in EvaluateInput) (*mcp.CallToolResult, EvaluateOutput, error) {
	w, err := app.WeightingOf(in.Preset, "", in.Weights)
	if err != nil {
		return nil, EvaluateOutput{}, err
	}
	wt := weighting(w)
	res, err := loadResults(opts, in.ResultsPath)
	if err != nil {
		return nil, EvaluateOutput{}, err
	}
	ev := opts.core.Evaluate(app.EvaluateRequest{Results: res, Weighting: w, WhatIf: in.WhatIf})
	out := EvaluateOutput{Rubric: ev.Rubric, Weighting: wt, Measured: ev.Measured, RunID: ev.RunID, Host: ev.Host, Headline: ev.Headline}
	for _, r := range ev.Rows {
		out.Rows = append(out.Rows, evaluatedRow(r))
	}
	for _, r := range ev.Apart {
		out.Apart = append(out.Apart, evaluatedRow(r))
	}
	out.Notes = evaluationNotes(ev, res)
	out.Figures = figuresOf(res, nil)
	return nil, out, nil
}

func evaluatedRow(r evaluate.Row) EvaluatedSystem {
	e := EvaluatedSystem{
		Rank: r.Rank, System: r.System.Name(), Fitness: round3(r.Fitness), CuratedFitness: round3(r.CuratedFitness),
		Primary: r.Primary, Axes: r.Axes, Disagreements: r.Disagreements, NotMeasured: r.NotMeasured,
		RunsHere: r.RunsHere, Needs: r.Needs, WhatIfRank: r.WhatIfRank, Emulated: r.Emulated,
	}
	for _, v := range r.Variants {
		vs := VariantScores{Variant: v.Variant}
		for _, a := range v.Axes {
			vs.Axes = append(vs.Axes, VariantAxis{Axis: a.Axis.Name(), Score: a.Score, Provenance: string(a.Provenance), Basis: a.Basis})
		}
		e.Variants = append(e.Variants, vs)
	}
	return e
}

// evaluationNotes renders what qualifies ev; res only names the host.
func evaluationNotes(ev evaluate.Evaluation, res *results.Results) []string {
	if !ev.Measured || res == nil {
		return []string{curatedOnlyNote}
	}
	notes := []string{fmt.Sprintf("measured by %s on %s, run %s", ev.Tool, hostLine(res), ev.RunID)}
	if ev.Interrupted {
		notes = append(notes, "the run was interrupted: figures cover only what was measured before")
	}
	for _, w := range ev.Warnings {
		if w.Variant == "" {
			notes = append(notes, "run warning: "+w.Warning)
		} else {
			notes = append(notes, w.String())
		}
	}
	return notes
}

func hostLine(res *results.Results) string {
	h := res.Host
	parts := []string{}
	if h.OS != "" {
		parts = append(parts, h.OS)
	}
	if h.CPUModel != "" {
		parts = append(parts, h.CPUModel)
	}
	if h.KernelRelease != "" {
		parts = append(parts, "kernel "+h.KernelRelease)
	}
	if h.KVM.Usable {
		parts = append(parts, "KVM usable")
	} else {
		parts = append(parts, "KVM not usable")
	}
	return strings.Join(parts, ", ")
}

func recommend(ctx context.Context, opts Options, in RecommendInput) (*mcp.CallToolResult, RecommendOutput, error) {
	w, err := app.WorkloadWeighting(in.Workload)
	if err != nil {
		return nil, RecommendOutput{}, err
	}
	wt := weighting(w)
	if in.RequireMeasured && in.ResultsPath == "" {
		return nil, RecommendOutput{}, errors.New("require_measured needs results_path: this tool does not start measurements; run agentic-eval vms measure on the target host (or the measure tool, on a server started with --allow-measure) and pass its results file as results_path")
	}
	cons, err := constraintsOf(in.ConstraintsInput)
	if err != nil {
		return nil, RecommendOutput{}, err
	}
	res, err := loadResults(opts, in.ResultsPath)
	if err != nil {
		return nil, RecommendOutput{}, err
	}
	req := app.RecommendRequest{Results: res, Weighting: w, RequireMeasured: in.RequireMeasured, Constraints: cons, WhatIf: in.WhatIf}
	if res == nil {
		// No run: the answer is for this server's host, as its drivers see it.
		if req.Host, err = opts.core.HostHere(ctx); err != nil {
			return nil, RecommendOutput{}, err
		}
	}
	rec, _, err := opts.core.Recommend(req)
	out := RecommendOutput{Workload: in.Workload, Weighting: wt, Rubric: rec.Rubric, Constraints: constraintsOutput(rec.Constraints), Headline: rec.Headline, From: rec.From}
	for _, c := range rec.Apart {
		out.Apart = append(out.Apart, contender(c))
	}
	switch {
	case errors.Is(err, evaluate.ErrNoSystemPasses):
		out.Verdict = "no system passes every constraint: see constraints.excluded for the limit each fails or leaves untested, with its figure and provenance"
		out.Reasons, out.Caveats, out.Axes, out.Strongest, out.Ranking = []string{results.Shorten(err.Error())}, []string{}, []RecommendedAxis{}, []RecommendedAxis{}, []Contender{}
		if res == nil {
			out.Caveats = append(out.Caveats, "no results_path: limits on measured figures (start, memory, runnable) are untested for every system; pass a results file from this host")
		}
		return nil, out, nil
	case errors.Is(err, evaluate.ErrNothingMeasured):
		return nil, RecommendOutput{}, fmt.Errorf("require_measured: %w (results %s); measure one with agentic-eval vms measure, or drop require_measured to fall back on curated scores", err, results.Shorten(in.ResultsPath))
	case err != nil:
		return nil, RecommendOutput{}, err
	}
	av := rec.Availability
	out.System, out.Fitness, out.Measured, out.Availability = rec.System.Name(), rec.Fitness, rec.Measured, &av
	out.Reasons, out.Axes, out.Strongest = rec.Reasons, recommendedAxes(rec.Axes), recommendedAxes(rec.Strongest)
	out.Disagreements, out.Caveats = rec.Disagreements, rec.Caveats
	from := rec.From
	if from == "" {
		from = "curated judgments only"
		if rec.Measured {
			from = "measured on the results' host"
		}
	}
	out.Verdict = fmt.Sprintf("recommended: %s, fitness %.2f under %s (%s)", rec.System, rec.Fitness, wt.Label, from)
	if !av.Obtainable {
		out.Verdict = fmt.Sprintf("%s has no public release and cannot be had today; with that said, %s", rec.System, out.Verdict)
	}
	for _, s := range rec.TiedWith {
		out.TiedWith = append(out.TiedWith, s.Name())
	}
	if len(out.TiedWith) > 0 {
		out.Verdict += "; it ties with " + strings.Join(out.TiedWith, ", ")
	}
	for _, c := range rec.Ranking {
		out.Ranking = append(out.Ranking, contender(c))
	}
	out.Figures = figuresOf(res, func(v results.VariantResult) bool { return v.System == rec.System })
	return nil, out, nil
}

// contender is one ranked system as recommend answers it.
func contender(c evaluate.Contender) Contender {
	return Contender{System: c.System.Name(), Fitness: c.Fitness, Measured: c.Measured, FitnessLo: c.FitnessLo, FitnessHi: c.FitnessHi,
		Rank: c.Rank, Tied: c.Tied, From: c.From, RunsHere: c.RunsHere, Needs: c.Needs, WhatIfRank: c.WhatIfRank}
}

// constraintsOf reads recommend's limits; obtainable defaults to true.
func constraintsOf(in ConstraintsInput) (evaluate.Constraints, error) {
	c := evaluate.Constraints{
		MaxStartP50MS: in.MaxStartP50MS, MaxStartP99MS: in.MaxStartP99MS, Snapshot: in.RequireSnapshot,
		MaxMemoryMiB: in.MaxMemoryMiB, Runnable: in.RequireRunnable, Obtainable: in.Obtainable == nil || *in.Obtainable,
	}
	if in.MinIsolation != "" {
		b, err := evaluate.ParseBoundary(in.MinIsolation)
		if err != nil {
			return c, fmt.Errorf("min_isolation: %w", err)
		}
		c.MinIsolation = b
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("constraints: %w", err)
	}
	return c, nil
}

func constraintsOutput(r *evaluate.ConstraintReport) *ConstraintsOutput {
	if r == nil {
		return nil
	}
	out := &ConstraintsOutput{Limits: r.Limits, Passing: []string{}}
	for _, s := range r.Passing {
		out.Passing = append(out.Passing, s.Name())
	}
	for _, v := range r.Excluded {
		out.Excluded = append(out.Excluded, ExcludedSystem{System: v.System.Name(), Status: string(v.Status), Checks: v.Failing()})
	}
	return out
}

func recommendedAxes(as []evaluate.RecommendedAxis) []RecommendedAxis {
	out := make([]RecommendedAxis, 0, len(as))
	for _, a := range as {
		out = append(out, RecommendedAxis{
			Axis: a.Axis, Score: a.Score, Curated: a.Curated, Provenance: string(a.Provenance), Variant: a.Variant,
			Weight: a.Weight, Contribution: a.Contribution, Evidence: a.Evidence, MeasuredBasis: a.MeasuredBasis,
		})
	}
	return out
}
