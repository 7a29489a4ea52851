package memstat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadKSM(t *testing.T) {
	k := ReadKSM("testdata/ksm-running")
	if !k.Available || k.Run != 1 || k.PagesShared != 1520 || k.PagesSharing != 48211 || k.State() != "running" {
		t.Errorf("running KSM read as %+v (%s)", k, k.State())
	}
	gone := ReadKSM(filepath.Join(t.TempDir(), "ksm"))
	if gone.Available || !strings.Contains(gone.State(), "built without KSM") {
		t.Errorf("a kernel without KSM: %+v (%s)", gone, gone.State())
	}
	bad := t.TempDir()
	for name, v := range map[string]string{"run": "on\n", "pages_shared": "0\n", "pages_sharing": "0\n"} {
		if err := os.WriteFile(filepath.Join(bad, name), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if k := ReadKSM(bad); k.Available || !strings.Contains(k.Cause, `"on" is not a number`) {
		t.Errorf("a run file that is not a number: %+v", k)
	}
}

// This host's KSM, whatever its state, reads without a cause.
func TestReadKSMOnThisHost(t *testing.T) {
	if _, err := os.Stat(KSMDir); err != nil {
		t.Skipf("no %s here", KSMDir)
	}
	if k := ReadKSM(KSMDir); !k.Available {
		t.Errorf("KSM here: %s", k.Cause)
	}
}
