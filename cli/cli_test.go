package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/vms"
)

// binary is the agentic-eval command built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "agentic-eval-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "make temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "agentic-eval")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", binary, "./cmd/agentic-eval")
	build.Dir = ".." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build agentic-eval: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

type result struct {
	stdout, stderr string
	code           int
}

// run executes the built binary with args.
func run(t *testing.T, args ...string) result {
	t.Helper()
	return runWith(t, time.Minute, nil, args...)
}

// runEnv runs the built binary with extra environment.
func runEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runWith(t, time.Minute, env, args...)
}

// runPromptly runs the binary and fails the test, instead of hanging it,
// if the command does not finish within ten seconds.
func runPromptly(t *testing.T, args ...string) result {
	t.Helper()
	return runWith(t, 10*time.Second, nil, args...)
}

// runWith runs the built binary with args and extra environment, and
// fails the test if it does not finish within limit.
func runWith(t *testing.T, limit time.Duration, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("agentic-eval %s did not finish within %v: it blocks", strings.Join(args, " "), limit)
	}
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("run agentic-eval %v: %v", args, err)
	}
	return r
}

// ok runs args and requires exit 0 with nothing on stderr.
func ok(t *testing.T, args ...string) string {
	t.Helper()
	r := run(t, args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("agentic-eval %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

func lines(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }

func TestRankTextIsTheRankedTableBestFirst(t *testing.T) {
	all := lines(ok(t, "vms", "rank"))
	if got := strings.Fields(all[0]); !slices.Equal(got, []string{"#", "SYSTEM", "FITNESS", "START-LATENCY", "DENSITY", "ISOLATION", "SNAPSHOTTING", "AGENT-CONTROL"}) {
		t.Fatalf("header %q", all[0])
	}
	ranked := vms.Rank()
	// The table, a blank line, and the footer that says what the scores are.
	if len(all) != 1+len(ranked)+2 || all[len(ranked)+1] != "" || !strings.Contains(all[len(all)-1], "aethervm's row is its authors' judgment alone") && !strings.Contains(all[len(all)-1], "its row is its authors' judgment alone") {
		t.Fatalf("%d lines, want header, %d rows, a blank line and the footer:\n%s", len(all), len(ranked), strings.Join(all, "\n"))
	}
	out := all[:1+len(ranked)]
	for i, p := range ranked {
		want := []string{fmt.Sprint(i + 1), p.System.Name(), fmt.Sprintf("%.2f", p.Fitness())}
		for _, ax := range vms.Axes() {
			want = append(want, fmt.Sprintf("%.2f", p.Score(ax)))
		}
		if got := strings.Fields(out[i+1]); !slices.Equal(got, want) {
			t.Errorf("row %d = %v, want %v", i+1, got, want)
		}
	}
	// The reference's order, gvisor ahead of docker on their 0.65 tie.
	var order []string
	for _, l := range out[1:] {
		f := strings.Fields(l)
		order = append(order, f[1]+" "+f[2])
	}
	want := []string{"aethervm 0.86", "firecracker 0.79", "cloud-hypervisor 0.76", "gvisor 0.65", "docker 0.65", "kata 0.62", "qemu-kvm 0.61"}
	if !slices.Equal(order, want) {
		t.Errorf("ranking %v, want %v", order, want)
	}
}

var profileKeys = []string{"agent_control", "density", "evidence", "isolation", "snapshotting", "start_latency", "vm"}

func TestRankJSONIsProfilesWithSerdeNamesPlusFitness(t *testing.T) {
	var got []map[string]any
	if err := json.Unmarshal([]byte(ok(t, "vms", "rank", "--format", "json")), &got); err != nil {
		t.Fatalf("rank json does not parse: %v", err)
	}
	ranked := vms.Rank()
	if len(got) != len(ranked) {
		t.Fatalf("%d entries, want %d", len(got), len(ranked))
	}
	wantKeys := slices.Sorted(slices.Values(append([]string{"fitness"}, profileKeys...)))
	for i, p := range ranked {
		if keys := slices.Sorted(maps.Keys(got[i])); !slices.Equal(keys, wantKeys) {
			t.Fatalf("entry %d keys %v, want %v", i, keys, wantKeys)
		}
		if got[i]["vm"] != p.System.Name() || got[i]["fitness"] != p.Fitness() {
			t.Errorf("entry %d = %v %v, want %s %v", i, got[i]["vm"], got[i]["fitness"], p.System, p.Fitness())
		}
		for _, ax := range vms.Axes() {
			if got[i][ax.JSONName()] != p.Score(ax) {
				t.Errorf("%s %s = %v, want %v", p.System, ax.JSONName(), got[i][ax.JSONName()], p.Score(ax))
			}
		}
	}
}

func rankJSON(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	var got []map[string]any
	if err := json.Unmarshal([]byte(ok(t, append([]string{"vms", "rank", "--format", "json"}, args...)...)), &got); err != nil {
		t.Fatalf("rank %v json: %v", args, err)
	}
	return got
}

func TestRankUnderPresetsAndWeightsFollowsTheLibrary(t *testing.T) {
	for _, p := range vms.Presets() {
		got := rankJSON(t, "--preset", p.Name)
		for i, want := range vms.RankWeighted(p.Weights) {
			if got[i]["vm"] != want.System.Name() || got[i]["fitness"] != p.Weights.Fitness(want) {
				t.Errorf("preset %s #%d = %v %v, want %s %v", p.Name, i+1, got[i]["vm"], got[i]["fitness"], want.System, p.Weights.Fitness(want))
			}
		}
	}
	w, _ := vms.ParseWeights("start-latency=2,isolation=3")
	got := rankJSON(t, "--weights", "start-latency=2,isolation=3")
	for i, want := range vms.RankWeighted(w) {
		if got[i]["vm"] != want.System.Name() || got[i]["fitness"] != w.Fitness(want) {
			t.Errorf("weighted #%d = %v %v, want %s %v", i+1, got[i]["vm"], got[i]["fitness"], want.System, w.Fitness(want))
		}
	}
	text := ok(t, "vms", "rank", "--preset", "untrusted-code")
	if !strings.HasPrefix(text, "ranked under preset untrusted-code (") {
		t.Errorf("weighted text does not say its weights:\n%s", text)
	}
}

func TestRankHelpListsPresetsWithRationale(t *testing.T) {
	help := ok(t, "vms", "rank", "--help")
	for _, p := range vms.Presets() {
		if !strings.Contains(help, p.Name) || !strings.Contains(help, p.Rationale) {
			t.Errorf("rank --help lacks preset %s or its rationale", p.Name)
		}
	}
}

func TestListShowsEverySystemWithItsAliasesOnOneLine(t *testing.T) {
	out := lines(ok(t, "vms", "list"))
	if len(out) != 1+len(vms.All()) {
		t.Fatalf("%d lines, want a header and one per system:\n%s", len(out), strings.Join(out, "\n"))
	}
	for i, s := range vms.All() {
		l := out[i+1]
		if f := strings.Fields(l); f[0] != s.Name() {
			t.Errorf("line %d = %q, want %s first", i+1, l, s)
		}
		for _, a := range s.Aliases() {
			if !strings.Contains(l, a) {
				t.Errorf("line for %s lacks alias %s: %q", s, a, l)
			}
		}
	}
	var got []struct {
		VM      string   `json:"vm"`
		Aliases []string `json:"aliases"`
	}
	if err := json.Unmarshal([]byte(ok(t, "vms", "list", "--format", "json")), &got); err != nil {
		t.Fatal(err)
	}
	for i, s := range vms.All() {
		if got[i].VM != s.Name() || !slices.Equal(got[i].Aliases, s.Aliases()) {
			t.Errorf("json entry %d = %+v, want %s %v", i, got[i], s, s.Aliases())
		}
	}
}

func TestShowAcceptsAnAlias(t *testing.T) {
	out := ok(t, "vms", "show", "FC")
	fc := vms.ProfileOf(vms.Firecracker)
	for _, want := range []string{fc.String(), "rank: 2 of 7, fitness 0.79 under balanced weights"} {
		if !strings.Contains(out, want) {
			t.Errorf("show FC lacks %q:\n%s", want, out)
		}
	}
	for _, ax := range vms.Axes() {
		if !strings.Contains(out, ax.Meaning()) {
			t.Errorf("show FC lacks the meaning of %s", ax)
		}
	}
	for _, e := range fc.Evidence {
		if !strings.Contains(out, "  - "+e+"\n") {
			t.Errorf("show FC lacks evidence %q", e)
		}
	}
	if same := ok(t, "vms", "show", "firecracker"); same != out {
		t.Error("show FC and show firecracker differ")
	}
}

func TestShowRankFollowsThePreset(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal([]byte(ok(t, "vms", "show", "qemu", "--preset", "untrusted-code", "--format", "json")), &got); err != nil {
		t.Fatal(err)
	}
	p, _ := vms.LookupPreset("untrusted-code")
	ranked := vms.RankWeighted(p.Weights)
	want := 1 + slices.IndexFunc(ranked, func(p vms.Profile) bool { return p.System == vms.QEMUKVM })
	if got["vm"] != "qemu-kvm" || got["rank"] != float64(want) || got["fitness"] != p.Weights.Fitness(vms.ProfileOf(vms.QEMUKVM)) {
		t.Errorf("show qemu under untrusted-code = vm %v rank %v fitness %v, want rank %d", got["vm"], got["rank"], got["fitness"], want)
	}
	for _, k := range profileKeys {
		if _, ok := got[k]; !ok {
			t.Errorf("show json lacks %s", k)
		}
	}
}

func TestCompareTextIsTheReferenceText(t *testing.T) {
	out := ok(t, "vms", "compare", "aethervm", "fc")
	if want := vms.Compare(vms.AetherVM, vms.Firecracker).String(); out != want {
		t.Errorf("compare text:\n%s\nwant:\n%s", out, want)
	}
	if !strings.HasPrefix(out, "aethervm vs firecracker: fitness delta +0.07\n") || !strings.Contains(out, "\n  snapshotting: +0.10\n") {
		t.Errorf("compare text is not the reference's:\n%s", out)
	}
}

func TestCompareJSONIsTheComparison(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal([]byte(ok(t, "vms", "compare", "gvisor", "runc", "--format", "json")), &got); err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, []string{"a", "axis_deltas", "b", "fitness_delta"}) {
		t.Fatalf("keys %v", keys)
	}
	c := vms.Compare(vms.GVisor, vms.Docker)
	if got["a"].(map[string]any)["vm"] != "gvisor" || got["b"].(map[string]any)["vm"] != "docker" || got["fitness_delta"] != c.FitnessDelta {
		t.Errorf("compare json = %v", got)
	}
	deltas := got["axis_deltas"].([]any)
	for i, d := range c.AxisDeltas {
		pair := deltas[i].([]any)
		if pair[0] != d.Axis.Name() || pair[1] != d.Delta {
			t.Errorf("axis_deltas[%d] = %v, want [%s %v]", i, pair, d.Axis, d.Delta)
		}
	}
}

func TestPresetsListsWeightsAndRationale(t *testing.T) {
	out := lines(ok(t, "vms", "presets"))
	ps := vms.Presets()
	if len(out) != 1+len(ps) {
		t.Fatalf("%d lines, want %d", len(out), 1+len(ps))
	}
	for i, p := range ps {
		f := strings.Fields(out[i+1])
		if f[0] != p.Name || !strings.HasSuffix(out[i+1], p.Rationale) {
			t.Errorf("line %q, want preset %s with its rationale", out[i+1], p.Name)
		}
		for j, v := range p.Weights {
			if f[1+j] != fmt.Sprint(v) {
				t.Errorf("preset %s weight %d = %s, want %v", p.Name, j, f[1+j], v)
			}
		}
	}
	var got []vms.Preset
	if err := json.Unmarshal([]byte(ok(t, "vms", "presets", "--format", "json")), &got); err != nil || !slices.Equal(got, ps) {
		t.Errorf("presets json = %v, %v", got, err)
	}
}

// markdownTables checks that every table in s is well formed (header, a
// separator of dashes, rows of the same width) and returns how many rows
// each table has.
func markdownTables(t *testing.T, s string) []int {
	t.Helper()
	var rows []int
	ls := lines(s)
	for i := 0; i < len(ls); i++ {
		if !strings.HasPrefix(ls[i], "|") {
			continue
		}
		cells := func(l string) int {
			if !strings.HasPrefix(l, "|") || !strings.HasSuffix(l, "|") {
				t.Fatalf("table line %q does not start and end with |", l)
			}
			return strings.Count(strings.ReplaceAll(l, `\|`, ""), "|") - 1
		}
		n := cells(ls[i])
		if i+1 >= len(ls) || cells(ls[i+1]) != n {
			t.Fatalf("table header %q has no matching separator", ls[i])
		}
		for _, c := range strings.Split(strings.Trim(ls[i+1], "|"), "|") {
			if strings.Trim(c, "-: ") != "" || !strings.Contains(c, "---") {
				t.Fatalf("separator %q is not dashes", ls[i+1])
			}
		}
		j := i + 2
		for ; j < len(ls) && strings.HasPrefix(ls[j], "|"); j++ {
			if cells(ls[j]) != n {
				t.Fatalf("row %q has %d cells, header %d", ls[j], cells(ls[j]), n)
			}
		}
		rows = append(rows, j-i-2)
		i = j
	}
	return rows
}

func TestMarkdownIsAValidTable(t *testing.T) {
	n := len(vms.All())
	for _, c := range []struct {
		args []string
		rows []int
	}{
		{[]string{"rank"}, []int{n}},
		{[]string{"rank", "--preset", "dense-fleet"}, []int{n}},
		{[]string{"list"}, []int{n}},
		{[]string{"presets"}, []int{len(vms.Presets())}},
		{[]string{"show", "kvm"}, []int{5}},
		{[]string{"compare", "chv", "kata"}, []int{6}},
	} {
		out := ok(t, append(append([]string{"vms"}, c.args...), "--format", "markdown")...)
		if got := markdownTables(t, out); !slices.Equal(got, c.rows) {
			t.Errorf("%v: tables with %v rows, want %v:\n%s", c.args, got, c.rows, out)
		}
	}
}

func TestFormatIsCaseInsensitiveAndPersistent(t *testing.T) {
	if a, b := ok(t, "vms", "--format", "JSON", "list"), ok(t, "vms", "list", "--format", "json"); a != b {
		t.Error("--format before and after the subcommand differ")
	}
}

// Every mistake: exit status 2, nothing on stdout, exactly one line on
// stderr naming what was wrong and what is valid.
func TestUsageErrorsAreOneLineAndExitTwo(t *testing.T) {
	for _, c := range []struct {
		args    []string
		mention []string
	}{
		{[]string{"vms", "show", "virtualbox"}, []string{`"virtualbox"`, "firecracker", "qemu-kvm", "did you mean"}},
		{[]string{"vms", "compare", "fc", "vbox"}, []string{`"vbox"`, "valid systems", "did you mean"}},
		{[]string{"vms", "rank", "--weights", "isolation=x"}, []string{"--weights", `"x"`, "finite number"}},
		{[]string{"vms", "rank", "--weights", "speed=2"}, []string{`"speed"`, "start-latency", "agent-control"}},
		{[]string{"vms", "rank", "--weights", "isolation=0,start=0,density=0,snapshot=0,agent-control=0"}, []string{"zero", "positive"}},
		{[]string{"vms", "rank", "--preset", "fastest"}, []string{`"fastest"`, "balanced", "untrusted-code"}},
		{[]string{"vms", "rank", "--preset", "balanced", "--weights", "isolation=2"}, []string{"--weights", "--preset"}},
		{[]string{"vms", "rank", "--format", "yaml"}, []string{`"yaml"`, "text, json, markdown"}},
		{[]string{"vms", "list", "--format=html"}, []string{`"html"`, "text, json, markdown"}},
		{[]string{"vms", "show"}, []string{"one system name", "got 0"}},
		{[]string{"vms", "show", "fc", "kvm"}, []string{"one system name", "got 2"}},
		{[]string{"vms", "compare", "fc"}, []string{"two system names", "got 1"}},
		{[]string{"vms", "rank", "fc"}, []string{"no arguments", "got 1"}},
		{[]string{"vms", "list", "extra"}, []string{"no arguments"}},
		{[]string{"vms", "rnak"}, []string{`"rnak"`, "rank", "compare"}},
		{[]string{"vmz"}, []string{`"vmz"`, "vms"}},
		{[]string{"help", "vms", "rnak"}, []string{`"rnak"`, "rank"}},
		{[]string{"vms", "rank", "--sort"}, []string{"--sort", "--preset", "--weights", "--format"}},
		{[]string{"vms", "rank", "--preset"}, []string{"--preset", "balanced"}},
	} {
		r := run(t, c.args...)
		name := strings.Join(c.args, " ")
		if r.code != 2 {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", name, r.code, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("%s: printed on stdout: %q", name, r.stdout)
		}
		if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
			t.Errorf("%s: stderr is not exactly one line: %q", name, r.stderr)
		}
		for _, m := range c.mention {
			if !strings.Contains(r.stderr, m) {
				t.Errorf("%s: stderr %q does not mention %s", name, r.stderr, m)
			}
		}
		for _, bad := range []string{"Usage:", "goroutine", "panic"} {
			if strings.Contains(r.stderr, bad) {
				t.Errorf("%s: stderr has %q: %q", name, bad, r.stderr)
			}
		}
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{}, {"--help"}, {"vms"}, {"vms", "--help"}, {"vms", "show", "--help"}, {"help", "vms"}, {"help", "vms", "rank"}} {
		r := run(t, args...)
		if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("%v: exit %d, stderr %q, stdout %d bytes", args, r.code, r.stderr, len(r.stdout))
		}
	}
	if out := ok(t, "vms", "--help"); !strings.Contains(out, vms.Isolation.Meaning()) {
		t.Error("vms --help does not explain the axes")
	}
}

// The README's sample output is pasted from the binary; keep it current.
func TestREADMESampleOutputIsCurrent(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	for _, args := range [][]string{
		{"vms", "rank"},
		{"vms", "compare", "aethervm", "firecracker"},
		{"vms", "rank", "--preset", "untrusted-code", "--format", "markdown"},
		{"vms", "list"},
		{"vms", "presets"},
	} {
		if out := ok(t, args...); !strings.Contains(string(readme), out) {
			t.Errorf("README lacks the current output of agentic-eval %s:\n%s", strings.Join(args, " "), out)
		}
	}
}
