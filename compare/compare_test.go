package compare

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/results"
)

// run is a results document with one variant whose start latencies are
// the given milliseconds.
func run(id, variant string, ms ...float64) *results.Results {
	ns := make([]int64, len(ms))
	for i, v := range ms {
		ns[i] = int64(v * float64(time.Millisecond))
	}
	v := results.VariantResult{Variant: variant, StartLatency: &results.Latency{SamplesNS: ns}}
	v.Fingerprint.Available = true
	return &results.Results{Schema: results.Schema, RunID: id, Systems: []results.VariantResult{v}}
}

// spread is n values around m, ±2%, in a fixed order.
func spread(m float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = m * (0.98 + 0.04*float64(i%5)/4)
	}
	return out
}

func TestDiffVerdicts(t *testing.T) {
	cases := []struct {
		name      string
		base, new []float64
		want      Verdict
	}{
		{"50% slower on 20 samples each is a regression", spread(20, 20), spread(30, 20), Regression},
		{"halved is an improvement", spread(20, 20), spread(10, 20), Improvement},
		{"10% slower, significant but under the 20% threshold, is no change", spread(20, 20), spread(22, 20), NoChange},
		{"the same samples are no change", spread(20, 20), spread(20, 20), NoChange},
		{"3 samples a side cannot reach p < 0.01, whatever the change", spread(20, 3), spread(40, 3), TooFew},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := Diff(run("a", "runc", c.base...), run("b", "runc", c.new...), FirecrackerRule)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Rows) != 1 {
				t.Fatalf("rows %+v", rep.Rows)
			}
			row := rep.Rows[0]
			if row.Verdict != c.want {
				t.Fatalf("verdict %q (change %+.0f%%, p=%.3g, notes %v); want %q", row.Verdict, row.Change*100, row.P, row.Notes, c.want)
			}
			if (rep.Regressions() == 1) != (c.want == Regression) {
				t.Fatalf("Regressions() = %d for verdict %q", rep.Regressions(), row.Verdict)
			}
		})
	}
}

func TestDiffFigureOnOneSideOnly(t *testing.T) {
	rep, err := Diff(run("a", "runc", spread(20, 10)...), run("b", "crun", spread(20, 10)...), FirecrackerRule)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Verdict{}
	for _, r := range rep.Rows {
		got[r.Variant] = r.Verdict
	}
	if got["runc"] != OnlyBase || got["crun"] != OnlyNew || rep.Regressions() != 0 {
		t.Fatalf("verdicts %v", got)
	}
}

func TestDiffRefusesABadRule(t *testing.T) {
	for _, r := range []Rule{{Alpha: 0, Threshold: 0.2}, {Alpha: 1, Threshold: 0.2}, {Alpha: 0.01, Threshold: -1}} {
		if _, err := Diff(run("a", "runc", 1), run("b", "runc", 1), r); err == nil {
			t.Errorf("rule %+v accepted", r)
		}
	}
}

// A recorded run against itself: every figure is there on both sides and
// none has changed.
func TestDiffRecordedRunAgainstItself(t *testing.T) {
	res, err := results.ReadResultsFile("../testdata/runs/host-run.json")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Diff(res, res, FirecrackerRule)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) < 10 {
		t.Fatalf("only %d figures found in a full run", len(rep.Rows))
	}
	names := map[string]bool{}
	for _, r := range rep.Rows {
		names[r.Figure] = true
		if r.Verdict != NoChange && r.Verdict != TooFew {
			t.Errorf("%s %s: %q against itself", r.Variant, r.Figure, r.Verdict)
		}
	}
	for _, want := range []string{"start-latency", "teardown", "density/per-instance", "tti/python-hello/first-result", "warm/python-hello/probe"} {
		if !names[want] {
			t.Errorf("no figure %s in the recorded run (have %v)", want, keys(names))
		}
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings comparing a run with itself: %v", rep.Warnings)
	}
}

func TestParseBaselineErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"runc start-latency median <= 40", "no known unit"},
		{"runc start-latency median <= 40 ms", "6 fields"},
		{"runc start-latency mean <= 40ms", `statistic "mean"`},
		{"runc start-latency median =< 40ms", `operator "=<"`},
		{"runc start-latency median <= -4ms", "not a non-negative number"},
		{"# only a comment\n\n", "no bounds"},
		{"runc start-latency median <= 40ms\nbad", "line 2: 1 fields"},
		{strings.Repeat("x", 70000), "longer than 64 KiB"},
	}
	for _, c := range cases {
		_, err := ParseBaseline(strings.NewReader(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseBaseline(%.40q) = %v; want an error with %q", c.text, err, c.want)
		}
		if err != nil && len(err.Error()) > 300 {
			t.Errorf("error echoes too much: %d bytes", len(err.Error()))
		}
	}
}

func TestCheck(t *testing.T) {
	bounds, err := ParseBaseline(strings.NewReader(`
# a team's bounds
runc start-latency median <= 25ms   # holds: median 20
runc start-latency max < 15ms       # fails
runc start-latency min >= 0.015s    # holds: 19.6 ms
runc density/per-instance median <= 2MiB  # not measured
crun start-latency median <= 1s     # variant not in the run
`))
	if err != nil {
		t.Fatal(err)
	}
	out := Check(run("a", "runc", spread(20, 10)...), bounds)
	want := []struct {
		pass, measured bool
		msg            string
	}{
		{true, true, "within"},
		{false, true, "OUTSIDE"},
		{true, true, "within"},
		{false, false, "has no figure density/per-instance"},
		{false, false, "crun was not measured"},
	}
	for i, w := range want {
		o := out[i]
		if o.Pass != w.pass || o.Measured != w.measured || !strings.Contains(o.Message, w.msg) {
			t.Errorf("bound %d: %+v; want pass=%v measured=%v and %q", i, o, w.pass, w.measured, w.msg)
		}
	}
}

func TestFiguresOfARecordedRunAreNamedStably(t *testing.T) {
	if _, err := os.Stat("../testdata/runs/run-crun-runc.json"); err != nil {
		t.Skip("no recorded crun/runc run")
	}
	res, err := results.ReadResultsFile("../testdata/runs/run-crun-runc.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range res.Systems {
		for _, f := range Figures(v) {
			if f.Name == "" || strings.ContainsAny(f.Name, " \t") || (f.Unit != "ms" && f.Unit != "MiB") {
				t.Errorf("%s: figure %q unit %q", v.Variant, f.Name, f.Unit)
			}
		}
	}
}
