package report_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/report"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/vms"
)

// TestFilesShowTheRuntimeCopyPathBesideTheProbe renders a real run of
// docker and docker/runc (../mcpserver/testdata/workload-run.json, made as
// its README says): each size has a probe row, docker also an archive-API
// row with its directory and cross-check, and the copy-path table says
// where docker's files went and why, and that runc has no copy path.
func TestFilesShowTheRuntimeCopyPathBesideTheProbe(t *testing.T) {
	path := filepath.Join("..", "mcpserver", "testdata", "workload-run.json")
	res, err := results.ReadResultsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, doc := render(t, report.Options{Results: res, ResultsPath: path, Weights: vms.Balanced()})
	var rows []string
	for _, tr := range bodyRows(t, doc, "files") {
		var cells []string
		for _, td := range find(tr, tag("td")) {
			cells = append(cells, textOf(td))
		}
		rows = append(rows, strings.Join(cells, " | "))
	}
	for _, want := range []string{
		"docker | 64 MiB | probe | /work | 1.10 s | 60.9 | 1.45 s | 46.1 | 6/6 | –",
		"docker | 64 MiB | runtime | /var/tmp | 120 ms | 561.1 | 159 ms | 421.7 | 6/6 | 6/6",
		"docker/runc | 64 MiB | probe | /work | 769 ms | 87.3 | 999 ms | 67.1 | 6/6 | –",
	} {
		found := false
		for _, r := range rows {
			found = found || r == want
		}
		if !found {
			t.Errorf("no files row %q in\n%s", want, strings.Join(rows, "\n"))
		}
	}
	if len(rows) != 9 {
		t.Errorf("%d files rows, want docker's 3 sizes through 2 paths and runc's 3 through the probe", len(rows))
	}
	paths := bodyRows(t, doc, "copy-paths")
	if len(paths) != 2 {
		t.Fatalf("%d copy-path rows, want docker's and runc's", len(paths))
	}
	if d := textOf(paths[0]); !strings.Contains(d, "/var/tmp") || !strings.Contains(d, "/work is out of the runtime's copy path here") {
		t.Errorf("docker's copy path: %q", d)
	}
	if r := textOf(paths[1]); !strings.Contains(r, "none") || !strings.Contains(r, "no copy path of its own") {
		t.Errorf("runc's copy path: %q", r)
	}
}
