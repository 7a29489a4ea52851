package report_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/agentic-eval/agentic-eval/report"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/vms"
)

// A recorded gVisor run of the density fill and a churn loop renders a
// capacity table (slope with its interval, accounting, per GiB, this host,
// KSM) and a churn table (drift with p and verdict, own residue, the
// host's noisy growth), and states how both phases were bounded.
func TestReportShowsCapacityAndChurn(t *testing.T) {
	res, err := results.ReadResultsFile("testdata/fleet-run.json")
	if err != nil {
		t.Fatal(err)
	}
	_, doc := render(t, report.Options{Results: res, Weights: vms.Balanced()})
	capRows := find(byID(t, doc, "capacity"), tag("tr"))
	if len(capRows) < 2 {
		t.Fatalf("capacity table has %d rows", len(capRows))
	}
	capText := textOf(capRows[1])
	for _, want := range []string{"gvisor/systrap", "7.64 MiB [3.06, 12.21], n=7, residual SD 37.7 MiB (not stable)", "15.52 MiB [15.14, 15.64]",
		"slope 134 [84, 334] · accounting 66 [65, 68]", "slope 2530 · accounting 1245", "stopped"} {
		if !strings.Contains(capText, want) {
			t.Errorf("capacity row %q lacks %q", capText, want)
		}
	}
	churn := textOf(byID(t, doc, "churn"))
	for _, want := range []string{"python-hello", "first-result: 145.9 → 231.9 ms (+58.9%), p=0.0159 over 2×5 of 14: slower at the end",
		"none", "cgroups 26 → 136 (+110, host-wide: noisy)"} {
		if !strings.Contains(churn, want) {
			t.Errorf("churn table lacks %q:\n%s", want, churn)
		}
	}
	page := textOf(doc)
	for _, want := range []string{"a fill of at most 24 idle sandboxes, 4 at a time, for at most 20s, stopping once the memory slope is stable",
		"at most 300 create-run-destroy cycles or 3s per variant"} {
		if !strings.Contains(page, want) {
			t.Errorf("settings lack %q", want)
		}
	}
}

// A run without the fleet phases has neither table.
func TestReportWithoutFleetPhasesHasNoFleetTables(t *testing.T) {
	_, doc := render(t, report.Options{Results: fixture(t), Weights: vms.Balanced()})
	for _, id := range []string{"capacity", "churn"} {
		if got := find(doc, func(n *html.Node) bool { return attr(n, "id") == id }); len(got) != 0 {
			t.Errorf("a table %q in a run that did not measure it", id)
		}
	}
}
