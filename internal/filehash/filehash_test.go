package filehash

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSHA256OfAFileAndRefusals(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := SHA256(p)
	if want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; err != nil || got != want {
		t.Fatalf("SHA256 = %q, %v; want %s", got, err, want)
	}
	for _, bad := range []string{dir, filepath.Join(dir, "missing")} {
		if _, err := SHA256(bad); err == nil {
			t.Errorf("SHA256(%s) succeeded", bad)
		}
	}
	if _, err := SHA256(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory: %v", err)
	}
}
