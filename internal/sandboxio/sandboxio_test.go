package sandboxio

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestPipesCarryBothWaysAndEndWhenTheChildEndsClose(t *testing.T) {
	p, err := NewPipes()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Out.Close()
	defer p.In.Close()
	if _, err := p.In.WriteString("ping\n"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(p.Stdin, buf); err != nil || string(buf) != "ping\n" {
		t.Fatalf("child read %q, %v; want the harness's line", buf, err)
	}
	if _, err := p.Stdout.WriteString("AEPROBE ready pid=1\n"); err != nil {
		t.Fatal(err)
	}
	p.CloseChildEnds()
	b, err := io.ReadAll(p.Out)
	if err != nil || string(b) != "AEPROBE ready pid=1\n" {
		t.Fatalf("harness read %q, %v; want the child's line, then EOF", b, err)
	}
}

func TestSnapshotDirIsMadeAbsoluteAndPrivate(t *testing.T) {
	base := t.TempDir()
	t.Chdir(base)
	abs, err := SnapshotDir(filepath.Join("a", "snap"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "a", "snap"); abs != want {
		t.Errorf("SnapshotDir = %q, want %q", abs, want)
	}
	fi, err := os.Stat(abs)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("snapshot dir: %v, %v; want a 0700 directory", fi, err)
	}
	if again, err := SnapshotDir(abs); err != nil || again != abs {
		t.Errorf("SnapshotDir of an existing dir = %q, %v", again, err)
	}
}

func TestDirBytesCountsRegularFilesButSkippedTrees(t *testing.T) {
	dir := t.TempDir()
	write := func(rel string, n int) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, n), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("pages.img", 100)
	write("sub/core.img", 20)
	write("work/dump.log", 7)
	if err := os.Symlink("pages.img", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if n, err := DirBytes(dir); err != nil || n != 127 {
		t.Errorf("DirBytes = %d, %v; want 127 (links not counted)", n, err)
	}
	if n, err := DirBytes(dir, "work"); err != nil || n != 120 {
		t.Errorf("DirBytes without work/ = %d, %v; want 120", n, err)
	}
	if _, err := DirBytes(filepath.Join(dir, "missing")); err == nil {
		t.Error("DirBytes of a missing dir: no error")
	}
}
