package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/measure"
)

func tablesText(t *testing.T, tables []*Table) string {
	t.Helper()
	var b bytes.Buffer
	for _, tb := range tables {
		if err := tb.WriteText(&b); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// An older document's single burst of 8 shows as a ladder of one level,
// said to be so, with no knee.
func TestSweepTablesOfAnOlderDocumentsSingleBurst(t *testing.T) {
	res, err := measure.ReadResultsFile("../docs/run-crun-runc.json")
	if err != nil {
		t.Fatal(err)
	}
	tables := sweepTables(res)
	if len(tables) != 1 {
		t.Fatalf("%d tables, want the burst table alone (no arrivals then)", len(tables))
	}
	out := tablesText(t, tables)
	for _, want := range []string{"docker/runc", "docker/crun", "8/8", "ready"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	notes := sweepNotes(res)
	if !strings.Contains(notes, "only one level measured (k=8)") || !strings.Contains(notes, "a single burst of an older document") {
		t.Errorf("notes:\n%s", notes)
	}
	if sweepTables(&measure.Results{}) != nil || sweepNotes(&measure.Results{}) != "" {
		t.Error("a run without sweeps has sweep tables or notes")
	}
}
