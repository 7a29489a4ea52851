package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/results"
)

// TestWorkloadTablesOfARecordedRun renders a real run (gVisor and runc,
// python-hello, files, the primed interpreter forked: testdata/
// workload-run.json) and finds its figures.
func TestWorkloadTablesOfARecordedRun(t *testing.T) {
	res, err := results.ReadResultsFile(filepath.Join("testdata", "workload-run.json"))
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
		"64 MiB  probe   1.63 s",
		"17.3 MB snapshot",
		"5/5",
		"docker/runc     fails here: snapshot docker/runc sandbox",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if workloadTables(&results.Results{}) != nil {
		t.Error("a run without workloads has workload tables")
	}
}

// TestFilesTableShowsTheRuntimeCopyPathBesideTheProbe renders a real run
// of docker and docker/runc (../mcpserver/testdata/workload-run.json, made
// as its README says): docker's archive-API rows beside the probe's, with
// where they went and why, and runc's lack of a copy path said once.
func TestFilesTableShowsTheRuntimeCopyPathBesideTheProbe(t *testing.T) {
	res, err := results.ReadResultsFile(filepath.Join("..", "mcpserver", "testdata", "workload-run.json"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, tb := range workloadTables(res) {
		if err := tb.WriteText(&b); err != nil {
			t.Fatal(err)
		}
	}
	out := b.String()
	for _, want := range []string{
		"docker       64 MiB  probe: /work        1.10 s      60.9   1.45 s      46.1       6/6              -",
		"docker       64 MiB  runtime: /var/tmp   120 ms     561.1   159 ms     421.7       6/6            6/6",
		"docker       /var/tmp           /work is out of the runtime's copy path here",
		"docker/runc  none               driver docker/runc has no copy path of its own",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if n := strings.Count(out, "runtime: "); n != 3 {
		t.Errorf("%d runtime file rows, want docker's 3 sizes (runc has none)", n)
	}
}
