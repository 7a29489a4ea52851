package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/measure"
)

// TestWorkloadTablesOfARecordedRun renders a real run (gVisor and runc,
// python-hello, files, the primed interpreter forked: testdata/
// workload-run.json) and finds its figures.
func TestWorkloadTablesOfARecordedRun(t *testing.T) {
	res, err := measure.ReadResultsFile(filepath.Join("testdata", "workload-run.json"))
	if err != nil {
		t.Fatal(err)
	}
	tables := workloadTables(res)
	if len(tables) != 3 {
		t.Fatalf("%d tables, want time to interactive, files and primed", len(tables))
	}
	var b bytes.Buffer
	for _, tb := range tables {
		if err := tb.WriteText(&b); err != nil {
			t.Fatal(err)
		}
	}
	out := b.String()
	for _, want := range []string{
		"gvisor/systrap  python-hello     109 ms     152 ms [151 ms, 153 ms]",
		"1.71×",
		"64 MiB   1.63 s",
		"17.3 MB snapshot",
		"5/5",
		"docker/runc     fails here: snapshot docker/runc sandbox",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if workloadTables(&measure.Results{}) != nil {
		t.Error("a run without workloads has workload tables")
	}
}
