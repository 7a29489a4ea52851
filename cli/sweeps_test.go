package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/results"
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
	res, err := results.ReadResultsFile("../testdata/runs/run-crun-runc.json")
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
	if sweepTables(&results.Results{}) != nil || sweepNotes(&results.Results{}) != "" {
		t.Error("a run without sweeps has sweep tables or notes")
	}
}

// TestSweepTablesOfARecordedRun renders a real run of both sweeps (runc,
// crun, gVisor, Docker, QEMU under TCG: ../report/testdata/sweep-run.json).
func TestSweepTablesOfARecordedRun(t *testing.T) {
	res, err := results.ReadResultsFile("../report/testdata/sweep-run.json")
	if err != nil {
		t.Fatal(err)
	}
	tables := sweepTables(res)
	if len(tables) != 2 {
		t.Fatalf("%d tables, want the burst ladder and the arrivals", len(tables))
	}
	out := tablesText(t, tables)
	for _, want := range []string{
		"docker/runc          64  python-hello  64/64",
		"qemu-kvm/tcg          1  ready",
		"no: p99 1562.9 ms over the 1s bound",
		"≥ 3.17 s",
		"% of a core / 24 MiB",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	notes := sweepNotes(res)
	for _, want := range []string{
		"docker/runc: burst knee at k=16",
		"docker/runc: highest arrival rate held 32/s",
		"gvisor/systrap: burst knee not reached: throughput still rose at k=16, the last level measured; stopped: time budget",
		"qemu-kvm/tcg: no arrival rate held",
		"timed to the ready line, not python-hello: the driver runs no image",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if cell := burstCell(res.Variant("docker/runc").BurstOf()); cell != "max 58.5/s, knee 16" {
		t.Errorf("results table cell %q", cell)
	}
}
