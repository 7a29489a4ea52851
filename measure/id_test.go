package measure

import (
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/results"
)

func TestSandboxIDsArePrefixFree(t *testing.T) {
	const prefix = "ae-0123abcd"
	seen := map[string]bool{}
	var ids []string
	for _, n := range []int64{1, 2, 9, 10, 11, 99, 100, 101, 999, 1000, 12345, MaxSandboxes} {
		id, err := SandboxID(prefix, n)
		if err != nil {
			t.Fatalf("SandboxID(%d): %v", n, err)
		}
		if seen[id] {
			t.Fatalf("SandboxID(%d) = %q repeats", n, id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	for _, a := range ids {
		for _, b := range ids {
			if a != b && strings.HasPrefix(b, a) {
				t.Errorf("%q is a prefix of %q: runsc would find both", a, b)
			}
		}
	}
	if got, _ := SandboxID(prefix, 1); got != "ae-0123abcd-000001" {
		t.Errorf("SandboxID(1) = %q, want ae-0123abcd-000001", got)
	}
	for _, n := range []int64{0, -1, MaxSandboxes + 1} {
		t.Run("out of range", func(t *testing.T) {
			if id, err := SandboxID(prefix, n); err == nil {
				t.Errorf("SandboxID(%d) = %q, want an error", n, id)
			}
		})
	}
}

func TestRunnerSpecsArePrefixFree(t *testing.T) {
	r := NewRunner(results.DefaultSettings(), "/bin/true")
	r.runDir = t.TempDir()
	var ids []string
	for i := 0; i < 12; i++ {
		sp, err := r.newSpec()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sp.ID, r.Prefix()+"-") {
			t.Errorf("ID %q lacks the run prefix %q", sp.ID, r.Prefix())
		}
		ids = append(ids, sp.ID)
	}
	for _, a := range ids {
		for _, b := range ids {
			if a != b && strings.HasPrefix(b, a) {
				t.Errorf("%q is a prefix of %q", a, b)
			}
		}
	}
	r.seq.Store(MaxSandboxes)
	if _, err := r.newSpec(); err == nil {
		t.Error("newSpec past MaxSandboxes: want an error")
	}
}
