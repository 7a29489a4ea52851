package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSweepLedgers(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"nothing recorded", nil, []string{"vms", "reap"}, 0, "no stale runs"},
		{"malformed record", map[string]string{"0badf00d.json": "{\"run_id\": 1"}, []string{"vms", "reap"}, 1, "malformed, not trusted"},
		{"malformed record, dry run", map[string]string{"0badf00d.json": "[]"}, []string{"vms", "reap", "--dry-run"}, 1, "malformed, not trusted"},
		{"stale run with only a scratch dir", map[string]string{
			"00abcdef.json": `{"run_id":"00abcdef","pid":1073741824,"proc_start":5,"started":"2026-01-01T00:00:00Z","drivers":["docker/runc"],"scratch_dir":"SCRATCH"}`,
		}, []string{"vms", "reap"}, 0, "reaped stale run 00abcdef (its process is gone): 1 removed: scratch dir"},
		{"bad flag", nil, []string{"vms", "reap", "--all-stale=false"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := t.TempDir()
			scratch := filepath.Join(t.TempDir(), "ae-00abcdef_scratch")
			if err := os.Mkdir(scratch, 0o700); err != nil {
				t.Fatal(err)
			}
			runs := filepath.Join(state, "runs")
			if err := os.Mkdir(runs, 0o700); err != nil {
				t.Fatal(err)
			}
			for name, content := range tt.files {
				content = strings.ReplaceAll(content, "SCRATCH", scratch)
				if err := os.WriteFile(filepath.Join(runs, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			r := runEnv(t, []string{"AGENTIC_EVAL_STATE=" + state}, tt.args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stdout %q, stderr %q", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.wantOut) {
				t.Errorf("stdout %q: want %q", r.stdout, tt.wantOut)
			}
			if r.code != 0 && strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("stderr is not one line: %q", r.stderr)
			}
			if tt.name == "stale run with only a scratch dir" {
				if _, err := os.Stat(scratch); !os.IsNotExist(err) {
					t.Errorf("scratch dir after the reap: %v", err)
				}
				if ents, _ := os.ReadDir(runs); len(ents) != 0 {
					t.Errorf("%d ledger files left", len(ents))
				}
			}
		})
	}
}

func TestDoctorReportsStaleRuns(t *testing.T) {
	state := t.TempDir()
	runs := filepath.Join(state, "runs")
	if err := os.MkdirAll(runs, 0o700); err != nil {
		t.Fatal(err)
	}
	ledger := `{"run_id":"00abcdef","pid":1073741824,"proc_start":5,"started":"2026-01-01T00:00:00Z","drivers":["docker/runc"],"scratch_dir":""}`
	if err := os.WriteFile(filepath.Join(runs, "00abcdef.json"), []byte(ledger), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runEnv(t, []string{"AGENTIC_EVAL_STATE=" + state}, "vms", "doctor")
	if r.code != 0 || !strings.Contains(r.stdout, "stale run 00abcdef") {
		t.Errorf("doctor: exit %d, stdout %q: want the stale run listed", r.code, r.stdout)
	}
	if _, err := os.Stat(filepath.Join(runs, "00abcdef.json")); err != nil {
		t.Errorf("doctor must only report: %v", err)
	}
	// It fits a 100-column terminal: reasons and fixes wrap under their
	// variant.
	for _, line := range strings.Split(r.stdout, "\n") {
		if n := utf8.RuneCountInString(line); n > 100 {
			t.Errorf("doctor line of %d columns: %q", n, line)
		}
	}
}
