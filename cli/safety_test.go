package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Every bad results file or --out: exit 2, one line on stderr naming the
// rule, never the file's content, promptly.
func TestBadResultsFilesAndOutPathsFailAtOnce(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(200 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fix, err := os.ReadFile("../report/testdata/results-fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	trailing := write("trailing.json", string(fix)+"SECRET")
	foreign := write("foreign.json", `{"schema":"SECRET/v1"}`)
	shadow := write("shadow", "root:SECRET:19000::::::\n")
	empty := write("empty.json", "")
	truncated := write("truncated.json", string(fix[:len(fix)/2]))
	html := filepath.Join(dir, "page.html")

	for _, c := range []struct {
		args    []string
		mention []string
	}{
		{[]string{"vms", "results", fifo}, []string{fifo, "a FIFO", "only regular files"}},
		{[]string{"vms", "results", "/dev/null"}, []string{"a character device"}},
		{[]string{"vms", "results", dir}, []string{"a directory"}},
		{[]string{"vms", "results", big}, []string{"200 MiB", "the limit is 64 MiB"}},
		{[]string{"vms", "results", trailing}, []string{"exactly one JSON document"}},
		{[]string{"vms", "results", foreign}, []string{"not an agentic-eval results document"}},
		{[]string{"vms", "results", shadow}, []string{"not JSON", "byte 1"}},
		{[]string{"vms", "results", empty}, []string{"is empty"}},
		{[]string{"vms", "results", truncated}, []string{"truncated"}},
		{[]string{"vms", "results", filepath.Join(dir, strings.Repeat("n", 200))}, []string{"…", "no such file"}},
		{[]string{"vms", "evaluate", "--results", fifo}, []string{"a FIFO"}},
		{[]string{"vms", "evaluate", "--results", trailing}, []string{"exactly one JSON document"}},
		{[]string{"vms", "report", "--out", html, "--results", fifo}, []string{"a FIFO"}},
		{[]string{"vms", "report", "--out", html, "--results", big}, []string{"the limit is 64 MiB"}},
		{[]string{"vms", "measure", "--out", filepath.Join(dir, "missing", "r.json")}, []string{"--out", "does not exist", "before the run"}},
		{[]string{"vms", "measure", "--out", dir}, []string{"--out", "not a regular file"}},
		{[]string{"vms", "measure", "--out", fifo}, []string{"--out", "not a regular file"}},
		{[]string{"vms", "measure", "--out", filepath.Join(shadow, "r.json")}, []string{"--out", "is not a directory"}},
		{[]string{"vms", "evaluate", "--out", filepath.Join(dir, "missing", "r.json")}, []string{"--out", "does not exist"}},
		{[]string{"mcp", "--results-dir", filepath.Join(dir, "missing")}, []string{"--results-dir", "no such file"}},
		{[]string{"mcp", "--results-dir", shadow}, []string{"--results-dir", "not a directory"}},
	} {
		t.Run(strings.Join(c.args[:2], " ")+" "+shortName(filepath.Base(c.args[len(c.args)-1])), func(t *testing.T) {
			r := runPromptly(t, c.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", r.code, r.stderr)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
				t.Errorf("stderr is not one line: %q", r.stderr)
			}
			for _, m := range c.mention {
				if !strings.Contains(r.stderr, m) {
					t.Errorf("stderr %q lacks %q", r.stderr, m)
				}
			}
			if strings.Contains(r.stderr, "SECRET") || strings.Contains(r.stderr, "'r'") {
				t.Errorf("stderr echoes the file's content: %q", r.stderr)
			}
		})
	}
	if _, err := os.Stat(html); err == nil {
		t.Error("a report was written from a bad results file")
	}
}

func TestOutInADirectoryThatTakesNoFileFailsAtOnce(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into a read-only directory: the check cannot fail here")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	r := runPromptly(t, "vms", "measure", "--out", filepath.Join(dir, "r.json"))
	if r.code != 2 || !strings.Contains(r.stderr, "not writable") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want exit 2 and one line saying the directory is not writable", r.code, r.stderr)
	}
}

// A density phase whose every memory sample failed shows as not measured.
func TestResultsShowMemoryWithoutASampleAsNotMeasured(t *testing.T) {
	fix, err := os.ReadFile("../report/testdata/results-fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(fix, &doc); err != nil {
		t.Fatal(err)
	}
	var variant string
	for _, s := range doc["systems"].([]any) {
		v := s.(map[string]any)
		d, ok := v["density"].(map[string]any)
		if !ok || d["started"].(float64) == 0 {
			continue
		}
		d["per_instance_mib"] = map[string]any{"n": 0, "unit": "MiB", "median": 0}
		d["started"], d["requested"] = 6, 15
		variant = v["variant"].(string)
		break
	}
	if variant == "" {
		t.Fatal("the fixture has no density phase that started sandboxes")
	}
	b, _ := json.Marshal(doc)
	path := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runPromptly(t, "vms", "results", path)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, l := range lines(r.stdout) {
		if strings.HasPrefix(l, variant+" ") {
			if !strings.Contains(l, "- (0/6 sampled)") || strings.Contains(l, "0.00 (n=") {
				t.Errorf("row %q does not show the memory as not measured", l)
			}
			return
		}
	}
	t.Errorf("no row for %s in:\n%s", variant, r.stdout)
}

func shortName(s string) string {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}
