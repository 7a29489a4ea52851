package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/agentic-eval/agentic-eval/results"
)

const recordedRun = "../testdata/runs/host-run.json"

// slowed writes a copy of the recorded run with one variant's start
// latencies multiplied by factor.
func slowed(t *testing.T, variant string, factor float64) string {
	t.Helper()
	res, err := results.ReadResultsFile(recordedRun)
	if err != nil {
		t.Fatal(err)
	}
	v := res.Variant(variant)
	if v == nil || v.StartLatency == nil {
		t.Fatalf("the recorded run has no start latency for %s", variant)
	}
	for i, ns := range v.StartLatency.SamplesNS {
		v.StartLatency.SamplesNS[i] = int64(float64(ns) * factor)
	}
	path := filepath.Join(t.TempDir(), "new.json")
	if err := res.Write(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDiffGatesOnARegression(t *testing.T) {
	t.Run("a run against itself passes", func(t *testing.T) {
		r := run(t, "vms", "diff", recordedRun, recordedRun)
		if r.code != 0 || !strings.Contains(r.stdout, "0 regressed") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("a planted 30% slowdown fails with the figure named", func(t *testing.T) {
		r := run(t, "vms", "diff", recordedRun, slowed(t, "docker/runc", 1.3))
		if r.code != 1 {
			t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
		}
		row := ""
		for _, l := range lines(r.stdout) {
			if strings.HasPrefix(l, "docker/runc") && strings.Contains(l, "start-latency") {
				row = l
			}
		}
		if !strings.Contains(row, "regression") || !strings.Contains(row, "+30.0%") {
			t.Fatalf("no regression row for docker/runc start-latency:\n%s", r.stdout)
		}
		if len(lines(r.stderr)) != 1 || !strings.Contains(r.stderr, "1 figure(s) regressed") {
			t.Fatalf("stderr %q", r.stderr)
		}
	})
	t.Run("a threshold above the change passes it", func(t *testing.T) {
		r := run(t, "vms", "diff", "--threshold", "0.6", recordedRun, slowed(t, "docker/runc", 1.5))
		if r.code != 0 {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("json carries every row and the rule", func(t *testing.T) {
		r := run(t, "vms", "diff", "--format", "json", recordedRun, slowed(t, "docker/runc", 1.5))
		var rep struct {
			Rule struct{ Alpha, Threshold float64 }
			Rows []struct{ Variant, Figure, Verdict string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("not json: %v\n%s", err, r.stdout)
		}
		if rep.Rule.Alpha != 0.01 || rep.Rule.Threshold != 0.2 || len(rep.Rows) < 50 {
			t.Fatalf("rule %+v, %d rows", rep.Rule, len(rep.Rows))
		}
	})
	t.Run("markdown is a table for a pull request", func(t *testing.T) {
		r := run(t, "vms", "diff", "--format", "markdown", recordedRun, slowed(t, "docker/runc", 1.5))
		if !strings.Contains(r.stdout, "| VARIANT") || !strings.Contains(r.stdout, "| --- ") && !strings.Contains(r.stdout, "|---") {
			t.Fatalf("no markdown table:\n%s", r.stdout)
		}
	})
}

func TestDiffAndCheckRefuseBadInput(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	badBaseline := filepath.Join(dir, "bad.txt")
	os.WriteFile(badBaseline, []byte("docker/runc start-latency median <= 40ms\ndocker/runc start-latency median <= 40 parsecs\n"), 0o600)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"alpha out of range", []string{"vms", "diff", "--alpha", "2", recordedRun, recordedRun}, "alpha 2 out of range"},
		{"one file", []string{"vms", "diff", recordedRun}, "BASE and NEW"},
		{"a FIFO as results", []string{"vms", "diff", fifo, recordedRun}, "FIFO"},
		{"no baseline flag", []string{"vms", "check", recordedRun}, "--baseline is required"},
		{"a FIFO as baseline", []string{"vms", "check", "--baseline", fifo, recordedRun}, "baseline"},
		{"a malformed bound", []string{"vms", "check", "--baseline", badBaseline, recordedRun}, "baseline line 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runPromptly(t, c.args...)
			if r.code != 2 || len(lines(r.stderr)) != 1 || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 and one line with %q", r.code, r.stderr, c.want)
			}
		})
	}
}

func TestCheckHoldsARunToItsBaseline(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "baseline.txt")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	r := run(t, "vms", "check", "--baseline", write("docker/runc start-latency median <= 10s\ndocker/runc density/per-instance median <= 1GiB\n"), recordedRun)
	if r.code != 0 || !strings.Contains(r.stdout, "2 of 2 bounds hold") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "vms", "check", "--baseline", write("docker/runc start-latency median <= 1us  # far too tight\ndocker/runc start-latency median <= 10s\n"), recordedRun)
	if r.code != 1 || !strings.Contains(r.stdout, "line 1: docker/runc start-latency median is") || !strings.Contains(r.stdout, "OUTSIDE") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "1 of 2 bounds do not hold") {
		t.Fatalf("stderr %q", r.stderr)
	}
}

func TestSeveralRunsSideBySide(t *testing.T) {
	const other = "../testdata/runs/run-crun-runc.json"
	r := run(t, "vms", "results", recordedRun, other)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "A: run ") || !strings.Contains(r.stdout, "\nB: run ") ||
		!strings.Contains(r.stdout, "A p50 [95% CI]") || !strings.Contains(r.stdout, "warning: phases differs") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "vms", "evaluate", "--results", recordedRun, "--results", other)
	if r.code != 0 || !strings.Contains(r.stdout, "2 runs side by side") || !strings.Contains(r.stdout, "B FITNESS") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "vms", "evaluate", "--format", "json", "--results", recordedRun, "--results", other)
	var out struct {
		Hosts []struct{ Label string }
		Rows  []struct {
			System string
			Hosts  []struct{ Rank int }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Hosts) != 2 || len(out.Rows) != 7 || len(out.Rows[0].Hosts) != 2 {
		t.Fatalf("json %v: %s", err, r.stdout)
	}
}
