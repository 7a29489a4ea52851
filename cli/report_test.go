package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportWritesOneSelfContainedPage(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.html")
	// The results file is the report package's hand-made TEST FIXTURE.
	got := ok(t, "vms", "report", "--results", "../report/testdata/results-fixture.json", "--preset", "untrusted-code", "--out", out, "--format", "json")
	var done struct {
		Out      string `json:"out"`
		Measured bool   `json:"measured"`
		RunID    string `json:"run_id"`
	}
	if err := json.Unmarshal([]byte(got), &done); err != nil || done.Out != out || !done.Measured || done.RunID != "fixture01" {
		t.Fatalf("output %q (%v)", got, err)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<!DOCTYPE html>", "preset untrusted-code", `id="latency-chart"`, "fixture01"} {
		if !strings.Contains(string(page), s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if strings.Contains(string(page), "http://") || strings.Contains(string(page), "https://") {
		t.Error("page refers to the network")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files left in the output directory, want only the page", len(entries))
	}
}

func TestReportWithoutResultsIsCuratedOnly(t *testing.T) {
	out := filepath.Join(t.TempDir(), "catalog.html")
	got := ok(t, "vms", "report", "--out", out)
	if !strings.Contains(got, "curated catalog only") {
		t.Errorf("output %q does not say the page is curated only", got)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "nothing on this page was measured") {
		t.Error("the page does not say nothing was measured")
	}
}

func TestReportUsageErrorsExitTwo(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"vms", "report"}, "--out FILE.html is required"},
		{[]string{"vms", "report", "--out", filepath.Join(dir, "a.html"), "--preset", "fastest"}, "valid presets are"},
		{[]string{"vms", "report", "--out", filepath.Join(dir, "b.html"), "--weights", "speed=2"}, "valid axes are"},
		{[]string{"vms", "report", "--out", filepath.Join(dir, "c.html"), "--results", filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{"vms", "report", "--out", filepath.Join(dir, "d.html"), "extra"}, "takes no arguments"},
	} {
		r := run(t, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", c.args, r.code, r.stderr, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed commands left %d files behind", len(entries))
	}
}
