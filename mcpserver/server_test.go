package mcpserver_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentic-eval/agentic-eval/drivers/registry"
	"github.com/agentic-eval/agentic-eval/evaluate"
	"github.com/agentic-eval/agentic-eval/mcpserver"
	"github.com/agentic-eval/agentic-eval/vms"
)

// fixture is the hand-made TEST FIXTURE results document shared with the
// report tests: plausible structure, invented figures.
const fixture = "../report/testdata/results-fixture.json"

// connect starts a server and a real SDK client joined by the SDK's
// in-memory transport.
func connect(t *testing.T) *mcp.ClientSession {
	t.Helper()
	return connectWith(t, mcpserver.Options{Version: "test", ResultsDirs: []string{filepath.Dir(fixture), os.TempDir()}})
}

// connectWith is connect with the server's options.
func connectWith(t *testing.T, opts mcpserver.Options) *mcp.ClientSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	st, ct := mcp.NewInMemoryTransports()
	ss, err := mcpserver.New(opts).Connect(ctx, st, nil)
	if err != nil {
		t.Fatalf("connect server: %v", err)
	}
	t.Cleanup(func() { ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-agent", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatalf("connect client: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// call calls a tool that must succeed and decodes its structured output.
func call[Out any](t *testing.T, cs *mcp.ClientSession, name string, args any) Out {
	t.Helper()
	res := callRaw(t, cs, name, args)
	if res.IsError {
		t.Fatalf("%s(%v) is an error: %s", name, args, text(res))
	}
	var out Out
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatalf("%s: re-encode structured content: %v", name, err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: structured content does not decode into %T: %v\n%s", name, out, err, b)
	}
	// The text content mirrors the structured output for older clients.
	if !json.Valid([]byte(text(res))) {
		t.Errorf("%s: text content is not the JSON of the output: %q", name, text(res))
	}
	return out
}

func callRaw(t *testing.T, cs *mcp.ClientSession, name string, args any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s(%v): protocol error %v (bad input must be a tool error result)", name, args, err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func TestEveryToolIsListedWithADescriptionAndSchemas(t *testing.T) {
	cs := connect(t)
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		if len(tool.Description) < 80 {
			t.Errorf("%s: description too short to choose a sandbox by: %q", tool.Name, tool.Description)
		}
		in, _ := json.Marshal(tool.InputSchema)
		if !strings.Contains(string(in), `"type":"object"`) {
			t.Errorf("%s: input schema is not an object: %s", tool.Name, in)
		}
		if tool.OutputSchema == nil {
			t.Errorf("%s: no output schema: outputs must be typed", tool.Name)
		}
		if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
			t.Errorf("%s: not annotated read-only", tool.Name)
		}
	}
	slices.Sort(names)
	want := slices.Clone(mcpserver.ToolNames)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("tools %v, want %v", names, want)
	}
	for _, tool := range res.Tools {
		if tool.Name == "evaluate" && !strings.Contains(tool.Description, "does NOT start measurements") {
			t.Errorf("evaluate's description must say it starts no measurement: %q", tool.Description)
		}
		if tool.Name == "show_system" {
			in, _ := json.Marshal(tool.InputSchema)
			if !strings.Contains(string(in), `"required":["name"]`) {
				t.Errorf("show_system must require name: %s", in)
			}
		}
	}
}

func TestListSystemsGivesNamesAliasesAndAxesWithMeanings(t *testing.T) {
	out := call[mcpserver.ListSystemsOutput](t, connect(t), "list_systems", map[string]any{})
	if len(out.Systems) != len(vms.All()) {
		t.Fatalf("%d systems, want %d", len(out.Systems), len(vms.All()))
	}
	for i, s := range vms.All() {
		if out.Systems[i].Name != s.Name() || !slices.Equal(out.Systems[i].Aliases, s.Aliases()) && len(s.Aliases()) > 0 {
			t.Errorf("system %d: %+v, want %s %v", i, out.Systems[i], s, s.Aliases())
		}
	}
	if !slices.Contains(out.Systems[1].Aliases, "fc") {
		t.Errorf("firecracker's aliases miss fc: %v", out.Systems[1].Aliases)
	}
	if len(out.Axes) != vms.NumAxes {
		t.Fatalf("%d axes", len(out.Axes))
	}
	for i, a := range vms.Axes() {
		if out.Axes[i].Name != a.Name() || out.Axes[i].Meaning != a.Meaning() || out.Axes[i].JSONName != a.JSONName() {
			t.Errorf("axis %d: %+v", i, out.Axes[i])
		}
	}
}

func TestShowSystemAcceptsAnAliasAndRanksUnderThePreset(t *testing.T) {
	out := call[mcpserver.ShowSystemOutput](t, connect(t), "show_system", map[string]any{"name": "FC", "preset": "untrusted-code"})
	p, _ := vms.LookupPreset("untrusted-code")
	want := vms.ProfileOf(vms.Firecracker)
	if out.System != "firecracker" || out.Scores.Isolation != want.Isolation || out.Scores.AgentControl != want.AgentControl {
		t.Errorf("profile %+v, want firecracker's %+v", out, want)
	}
	if out.Weighting.Preset != "untrusted-code" || out.Weighting.Weights.Isolation != 3 {
		t.Errorf("weighting %+v", out.Weighting)
	}
	for i, r := range vms.RankWeighted(p.Weights) {
		if r.System == vms.Firecracker && out.Rank != i+1 {
			t.Errorf("rank %d, want %d", out.Rank, i+1)
		}
	}
	if out.Of != 7 || out.Provenance != "curated" {
		t.Errorf("of %d, provenance %q", out.Of, out.Provenance)
	}
	if len(out.Axes) != 5 {
		t.Fatalf("%d axes", len(out.Axes))
	}
	for i, a := range out.Axes {
		if a.Evidence != want.Evidence[i] || a.Meaning == "" {
			t.Errorf("axis %s: evidence %q, want %q", a.Axis, a.Evidence, want.Evidence[i])
		}
	}
}

func TestRankSystemsFollowsTheCatalogUnderEveryPresetAndFreeWeights(t *testing.T) {
	cs := connect(t)
	check := func(args map[string]any, w vms.Weights) {
		t.Helper()
		out := call[mcpserver.RankOutput](t, cs, "rank_systems", args)
		want := vms.RankWeighted(w)
		if len(out.Ranked) != len(want) {
			t.Fatalf("%v: %d rows", args, len(out.Ranked))
		}
		for i, p := range want {
			got := out.Ranked[i]
			if got.Rank != i+1 || got.System != p.System.Name() || math.Abs(got.Fitness-w.Fitness(p)) > 0.001 || got.Scores.StartLatency != p.StartLatency {
				t.Errorf("%v: row %d = %+v, want %s %.3f", args, i, got, p.System, w.Fitness(p))
			}
		}
	}
	check(map[string]any{}, vms.Balanced())
	for _, p := range vms.Presets() {
		check(map[string]any{"preset": p.Name}, p.Weights)
	}
	check(map[string]any{"weights": map[string]any{"isolation": 3, "start_latency": 2, "snapshot": 0}}, vms.Weights{2, 1, 3, 0, 1})
}

func TestCompareSystemsIsAMinusB(t *testing.T) {
	out := call[mcpserver.CompareOutput](t, connect(t), "compare_systems", map[string]any{"a": "aethervm", "b": "fc"})
	c := vms.Compare(vms.AetherVM, vms.Firecracker)
	if out.A != "aethervm" || out.B != "firecracker" || math.Abs(out.FitnessDelta-c.FitnessDelta) > 0.0005 {
		t.Errorf("got %+v, want delta %.3f", out, c.FitnessDelta)
	}
	for i, d := range c.AxisDeltas {
		if out.Axes[i].Axis != d.Axis.Name() || math.Abs(out.Axes[i].Delta-d.Delta) > 0.0005 {
			t.Errorf("axis %d: %+v, want %s %+.2f", i, out.Axes[i], d.Axis, d.Delta)
		}
	}
	if !strings.Contains(out.Summary, "aethervm fits the workload better than firecracker") || !strings.Contains(out.Summary, "agent-control +0.45") {
		t.Errorf("summary %q", out.Summary)
	}
}

func TestListPresetsGivesWeightsAndRationale(t *testing.T) {
	out := call[mcpserver.ListPresetsOutput](t, connect(t), "list_presets", nil)
	if len(out.Presets) != len(vms.Presets()) {
		t.Fatalf("%d presets", len(out.Presets))
	}
	for i, p := range vms.Presets() {
		got := out.Presets[i]
		if got.Name != p.Name || got.Rationale != p.Rationale || got.Weights.Density != p.Weights[vms.Density] {
			t.Errorf("preset %d: %+v, want %+v", i, got, p)
		}
	}
}

func TestDoctorFingerprintsEveryRegisteredDriver(t *testing.T) {
	out := call[mcpserver.DoctorOutput](t, connect(t), "doctor", nil)
	var variants []string
	avail := 0
	for _, d := range out.Drivers {
		variants = append(variants, d.Variant)
		if d.Available != d.Fingerprint.Available {
			t.Errorf("%s: available %v but fingerprint says %v", d.Variant, d.Available, d.Fingerprint.Available)
		}
		if d.Available {
			avail++
		} else if d.Fingerprint.Reason == "" {
			t.Errorf("%s is unavailable without a reason", d.Variant)
		}
		if d.Capabilities.Boundary == "" {
			t.Errorf("%s declares no boundary", d.Variant)
		}
	}
	if want := registry.Variants(); !slices.Equal(variants, want) {
		t.Errorf("variants %v, want registry's %v", variants, want)
	}
	if out.Available != avail {
		t.Errorf("available count %d, counted %d", out.Available, avail)
	}
}

// withoutResults is the evaluation of nothing measured under w: the
// catalog's curated scores, with the makers' published figures where the
// catalog cites them.
func withoutResults(w vms.Weights) []evaluate.Row {
	return evaluate.Evaluate(nil, w, evaluate.Options{Preferred: registry.Preferred()}).Rows
}

func TestEvaluateWithoutResultsIsCuratedOnlyAndSaysSo(t *testing.T) {
	out := call[mcpserver.EvaluateOutput](t, connect(t), "evaluate", map[string]any{"preset": "dense-fleet"})
	if out.Measured || out.RunID != "" {
		t.Errorf("measured %v, run %q without a results file", out.Measured, out.RunID)
	}
	if len(out.Notes) == 0 || !strings.Contains(out.Notes[0], "does not start measurements") {
		t.Errorf("notes %q must say nothing was measured and why", out.Notes)
	}
	p, _ := vms.LookupPreset("dense-fleet")
	want := withoutResults(p.Weights)
	for i, r := range out.Rows {
		if r.System != want[i].System.Name() || len(r.NotMeasured) == 0 || math.Abs(r.Fitness-want[i].Fitness) > 1e-3 {
			t.Errorf("row %d: %+v, want %s at %.3f", i, r, want[i].System, want[i].Fitness)
		}
		for _, a := range r.Axes {
			if a.Provenance != "curated" && a.Provenance != "published" {
				t.Errorf("%s %s: provenance %s without measurements", r.System, a.Axis, a.Provenance)
			}
		}
	}
}

func TestEvaluateReadsAResultsFileAndFlagsDisagreements(t *testing.T) {
	// what_if: every system in the rows, those the fixture's host could
	// not run marked, so that every row's evidence can be checked.
	out := call[mcpserver.EvaluateOutput](t, connect(t), "evaluate", map[string]any{"results_path": fixture, "what_if": true})
	if !out.Measured || out.RunID != "fixture01" || out.Rubric == "" || out.Headline == "" {
		t.Fatalf("header %+v", out)
	}
	if len(out.Rows) != 7 {
		t.Fatalf("%d rows", len(out.Rows))
	}
	rows := map[string]mcpserver.EvaluatedSystem{}
	for i, r := range out.Rows {
		rows[r.System] = r
		if r.Rank > i+1 || (i > 0 && r.Rank < out.Rows[i-1].Rank) {
			t.Errorf("%s rank %d at %d", r.System, r.Rank, i)
		}
		if i > 0 && r.Fitness > out.Rows[i-1].Fitness {
			t.Errorf("%s (%.3f) ranked below %s (%.3f)", r.System, r.Fitness, out.Rows[i-1].System, out.Rows[i-1].Fitness)
		}
	}
	d := rows["docker"]
	if d.Primary != "docker" || len(d.NotMeasured) != 0 || d.Axes[0].Provenance != "measured" {
		t.Errorf("docker: %+v", d)
	}
	found := false
	for _, dis := range d.Disagreements {
		if dis.Axis == "start-latency" {
			found = true
			if dis.Measured >= dis.Curated || dis.CuratedEvidence == "" || !strings.Contains(dis.MeasuredBasis, "ms") {
				t.Errorf("start-latency disagreement %+v", dis)
			}
		}
	}
	if !found {
		t.Errorf("docker's start-latency (a ~450 ms median in the fixture vs curated 0.95) is not flagged: %+v", d.Disagreements)
	}
	if g := rows["gvisor"]; g.Primary != "gvisor/systrap" || len(g.Variants) != 2 {
		t.Errorf("gvisor: primary %q, %d variants", g.Primary, len(g.Variants))
	}
	if f := rows["firecracker"]; f.Primary != "" || len(f.NotMeasured) != 1 || f.NotMeasured[0].Variant != "firecracker" ||
		!strings.Contains(f.NotMeasured[0].Reason, "not found on PATH") || f.NotMeasured[0].Fix == "" {
		t.Errorf("firecracker: %+v", f)
	}
}

func TestRecommendWithoutResultsFollowsTheCuratedRankingOfWhatCanBeHad(t *testing.T) {
	cs := connect(t)
	for _, p := range vms.Presets() {
		// what_if: the curated ranking whatever this host runs (without it
		// the answer is for this host first: host_test.go in package
		// evaluate pins that).
		out := call[mcpserver.RecommendOutput](t, cs, "recommend", map[string]any{"workload": p.Name, "what_if": true})
		var ranked []evaluate.Row // curated and published; obtainable is on by default
		for _, r := range withoutResults(p.Weights) {
			if vms.AvailabilityOf(r.System).Obtainable {
				ranked = append(ranked, r)
			}
		}
		if out.System != ranked[0].System.Name() || out.Measured || out.Availability == nil || !out.Availability.Obtainable {
			t.Errorf("%s: recommended %s (measured %v, availability %+v), want curated %s", p.Name, out.System, out.Measured, out.Availability, ranked[0].System)
		}
		if len(out.Ranking) != len(ranked) || out.Ranking[1].System != ranked[1].System.Name() {
			t.Errorf("%s: ranking %+v", p.Name, out.Ranking)
		}
		if len(out.Axes) != 5 || len(out.Strongest) != 2 || len(out.Reasons) < 3 {
			t.Fatalf("%s: %d axes, %d strongest, %d reasons", p.Name, len(out.Axes), len(out.Strongest), len(out.Reasons))
		}
		if out.Strongest[0].Contribution < out.Strongest[1].Contribution || out.Strongest[0].Evidence == "" {
			t.Errorf("%s: strongest %+v", p.Name, out.Strongest)
		}
		if !regexp.MustCompile(out.System + ` ranks first of (the )?6`).MatchString(strings.Join(out.Reasons, "\n")) {
			t.Errorf("%s: reasons %q", p.Name, out.Reasons)
		}
		if !strings.Contains(strings.Join(out.Caveats, "\n"), "nothing was measured") || out.Headline == "" {
			t.Errorf("%s: caveats %q must say the answer is curated", p.Name, out.Caveats)
		}
		c := out.Constraints
		if c == nil || len(c.Excluded) != 1 || c.Excluded[0].System != "aethervm" || c.Excluded[0].Status != "fail" ||
			c.Excluded[0].Checks[0].Provenance != "curated" || !strings.Contains(c.Excluded[0].Checks[0].Figure, "no public release") {
			t.Errorf("%s: constraints %+v, want aethervm excluded as not obtainable, with its curated source", p.Name, c)
		}
	}
	// Free weights: only isolation matters, and qemu-kvm has the top
	// curated isolation score.
	out := call[mcpserver.RecommendOutput](t, cs, "recommend", map[string]any{"workload": "isolation=1,start-latency=0,density=0,snapshotting=0,agent-control=0", "what_if": true})
	if out.System != "qemu-kvm" || len(out.Strongest) != 1 || out.Strongest[0].Axis != "isolation" {
		t.Errorf("isolation-only workload: %s, strongest %+v", out.System, out.Strongest)
	}
}

func TestRecommendRequireMeasuredPicksOnlyAMeasuredSystem(t *testing.T) {
	out := call[mcpserver.RecommendOutput](t, connect(t), "recommend",
		map[string]any{"workload": "untrusted-code", "results_path": fixture, "require_measured": true})
	if !out.Measured {
		t.Fatalf("recommended %s, which was not measured", out.System)
	}
	for _, c := range out.Ranking {
		if !c.Measured {
			t.Errorf("ranking holds unmeasured %s", c.System)
		}
	}
	measuredAxis := false
	for _, a := range out.Axes {
		if a.Provenance == "measured" {
			measuredAxis = true
			if a.MeasuredBasis == "" || a.Variant == "" {
				t.Errorf("measured axis without basis or variant: %+v", a)
			}
		}
	}
	if !measuredAxis {
		t.Errorf("no measured axis in %+v", out.Axes)
	}
	found := false
	for _, c := range out.Caveats {
		// qemu-kvm ran here, under TCG, but its isolation is only declared.
		if strings.Contains(c, "left out as not measured") && strings.Contains(c, "qemu-kvm: isolation declared") {
			found = true
		}
	}
	if !found {
		t.Errorf("caveats do not say which systems were left out: %q", out.Caveats)
	}
}

func TestBadInputIsAToolErrorThatSaysWhatIsValid(t *testing.T) {
	notResults := filepath.Join(t.TempDir(), "not-results.json")
	if err := os.WriteFile(notResults, []byte(`{"hello": "world"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cs := connect(t)
	for _, c := range []struct {
		tool string
		args map[string]any
		want []string
	}{
		{"show_system", map[string]any{"name": "firecraker"}, []string{`unknown system "firecraker"`, "valid systems are", `did you mean "firecracker"`}},
		{"show_system", map[string]any{"nme": "fc"}, []string{`unexpected additional properties ["nme"]`, "valid arguments of show_system: name (string, required), weights (object of axis to number), preset (string)"}},
		{"rank_systems", map[string]any{"preset": "fastest"}, []string{`unknown preset "fastest"`, "valid presets are balanced, untrusted-code"}},
		{"rank_systems", map[string]any{"weights": map[string]any{"speed": 2}}, []string{`unknown axis "speed"`, "valid axes are start-latency"}},
		{"rank_systems", map[string]any{"weights": map[string]any{"isolation": -1}}, []string{"finite and non-negative"}},
		{"rank_systems", map[string]any{"weights": map[string]any{"isolation": 0, "density": 0, "start-latency": 0, "snapshotting": 0, "agent-control": 0}}, []string{"all weights are zero"}},
		{"rank_systems", map[string]any{"weights": map[string]any{"isolation": 2, "ISOLATION": 3}}, []string{"weighted twice"}},
		{"rank_systems", map[string]any{"weights": map[string]any{"isolation": 2}, "preset": "balanced"}, []string{"exclude each other"}},
		{"compare_systems", map[string]any{"a": "docker", "b": "vmware"}, []string{`b: unknown system "vmware"`, "valid systems are"}},
		{"evaluate", map[string]any{"results_path": filepath.Join(t.TempDir(), "missing.json")}, []string{"results_path", "no such file", "agentic-eval vms measure"}},
		{"evaluate", map[string]any{"results_path": notResults}, []string{"no schema field"}},
		{"recommend", map[string]any{"workload": ""}, []string{"workload is empty", "untrusted-code", "axis=weight"}},
		{"recommend", map[string]any{"workload": "gaming"}, []string{`unknown preset "gaming"`, "axis=weight pairs"}},
		{"recommend", map[string]any{"workload": "isolation=lots"}, []string{`bad weight "lots" for isolation`}},
		{"recommend", map[string]any{"workload": "balanced", "require_measured": true}, []string{"require_measured needs results_path", "does not start measurements"}},
	} {
		res := callRaw(t, cs, c.tool, c.args)
		msg := text(res)
		if !res.IsError {
			t.Errorf("%s(%v) succeeded: %s", c.tool, c.args, msg)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s(%v): error %q lacks %q", c.tool, c.args, msg, w)
			}
		}
	}
}

func TestMeasureIsListedOnlyWhenAllowedAndSaysWhatItDoesToTheHost(t *testing.T) {
	opts := mcpserver.Options{Version: "test", ResultsDirs: []string{t.TempDir()}}
	for _, allow := range []bool{false, true} {
		opts.AllowMeasure = allow
		res, err := connectWith(t, opts).ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var m *mcp.Tool
		for _, tool := range res.Tools {
			if tool.Name == "measure" {
				m = tool
			}
		}
		if (m != nil) != allow {
			t.Fatalf("AllowMeasure %v: measure listed %v", allow, m != nil)
		}
		if m == nil {
			continue
		}
		a := m.Annotations
		if a.ReadOnlyHint || a.IdempotentHint || a.DestructiveHint == nil || !*a.DestructiveHint || a.OpenWorldHint == nil || *a.OpenWorldHint {
			t.Errorf("measure annotations %+v: it writes, sweeps stale runs' objects, repeats differently, and opens no network", a)
		}
		for _, says := range []string{"real sandboxes", "sweeps", "ae-<run>-*", "cancel", "progress"} {
			if !strings.Contains(m.Description, says) {
				t.Errorf("measure's description lacks %q", says)
			}
		}
	}
}

func TestMeasureRefusesBadArgumentsBeforeTouchingTheHost(t *testing.T) {
	cs := connectWith(t, mcpserver.Options{Version: "test", ResultsDirs: []string{t.TempDir()}, AllowMeasure: true})
	for _, c := range []struct {
		args map[string]any
		says string
	}{
		{map[string]any{"variants": []string{}}, "want 1 to 4"},
		{map[string]any{"variants": []string{"a", "b", "c", "d", "e"}}, "want 1 to 4"},
		{map[string]any{"variants": []string{"vmware"}}, "valid variants are aethervm"},
		{map[string]any{"variants": []string{strings.Repeat("v", 500)}}, "…"},
		{map[string]any{"variants": []string{"docker/runc"}, "samples": 201}, "want 1 to 200"},
		{map[string]any{"variants": []string{"docker/runc"}, "phases": []string{"warp"}}, "valid phases"},
	} {
		res := callRaw(t, cs, "measure", c.args)
		if !res.IsError || !strings.Contains(text(res), c.says) || len(text(res)) > 700 {
			t.Errorf("measure(%v): error %v %q, want it saying %q", c.args, res.IsError, text(res), c.says)
		}
	}
}
