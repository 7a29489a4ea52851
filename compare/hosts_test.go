package compare

import (
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/results"
)

func TestColumnLabels(t *testing.T) {
	for i, want := range map[int]string{0: "A", 1: "B", 25: "Z", 26: "AA", 27: "AB", 51: "AZ", 52: "BA"} {
		if got := columnLabel(i); got != want {
			t.Errorf("columnLabel(%d) = %q, want %q", i, got, want)
		}
	}
}

func TestSideBySideOfTwoRecordedRuns(t *testing.T) {
	a, err := results.ReadResultsFile("../testdata/runs/host-run.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := results.ReadResultsFile("../testdata/runs/run-crun-runc.json")
	if err != nil {
		t.Fatal(err)
	}
	s := SideBySide([]*results.Results{a, b}, "start-latency", "tti/python-hello/first-result")
	if len(s.Hosts) != 2 || s.Hosts[0].Label != "A" || s.Hosts[1].RunID != b.RunID || s.Hosts[0].CPU == "" || s.Hosts[0].Cores == 0 {
		t.Fatalf("hosts %+v", s.Hosts)
	}
	var sawBoth, sawOne bool
	for _, r := range s.Rows {
		if r.Figure != "start-latency" && r.Figure != "tti/python-hello/first-result" {
			t.Errorf("row %s %s was not asked for", r.Variant, r.Figure)
		}
		if len(r.Cells) != 2 {
			t.Fatalf("%s %s: %d cells", r.Variant, r.Figure, len(r.Cells))
		}
		if r.Variant == "docker/runc" && r.Figure == "start-latency" {
			sawBoth = r.Cells[0].Measured && r.Cells[1].Measured && r.Cells[0].Lo <= r.Cells[0].Median && r.Cells[0].Median <= r.Cells[0].Hi
		}
		if r.Variant == "docker/runc" && r.Figure == "tti/python-hello/first-result" {
			sawOne = r.Cells[0].Measured && !r.Cells[1].Measured
		}
	}
	if !sawBoth || !sawOne {
		t.Errorf("docker/runc: start on both hosts %v, a workload on the first only %v", sawBoth, sawOne)
	}
	// The second run measured no workloads: its phases and image differ.
	joined := strings.Join(s.Warnings, "\n")
	for _, want := range []string{"phases differs", "sandbox image differs"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings lack %q:\n%s", want, joined)
		}
	}
	if w := SideBySide([]*results.Results{a, a}).Warnings; len(w) != 0 {
		t.Errorf("a run beside itself warns: %v", w)
	}
}
