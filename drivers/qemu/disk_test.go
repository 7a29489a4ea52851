package qemu

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
)

func TestDiskNameIsKeyedByTheImageAndRefusesOtherKeys(t *testing.T) {
	name, err := diskName(driver.Image{Key: "0123456789abcdef", TarBytes: 42})
	if err != nil || name != "0123456789abcdef-42-f1.ext4" {
		t.Errorf("diskName = %q, %v", name, err)
	}
	for _, key := range []string{"", "../../etc", "0123456789ABCDEF", "0123456789abcdef0"} {
		if _, err := diskName(driver.Image{Key: key}); err == nil {
			t.Errorf("key %q accepted", key)
		}
	}
}

func TestDiskBytesLeavesRoomAndRoundsToMiB(t *testing.T) {
	for _, tc := range []struct{ bytes, inodes int64 }{{0, 0}, {170 << 20, 7500}, {1 << 30, 100000}} {
		n := diskBytes(tc.bytes, tc.inodes)
		if n%(1<<20) != 0 || n < tc.bytes+tc.inodes*256+32<<20 {
			t.Errorf("diskBytes(%d, %d) = %d", tc.bytes, tc.inodes, n)
		}
	}
}

// TestEnsureDiskBuildsOnceAndRemovesAKilledBuild builds a disk from a small
// tree with the real mke2fs, finds it again without building, and removes
// a killed build's temporary file on the next build.
func TestEnsureDiskBuildsOnceAndRemovesAKilledBuild(t *testing.T) {
	if _, err := exec.LookPath("mke2fs"); err != nil {
		t.Skipf("mke2fs not installed (e2fsprogs): %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("not root: mke2fs -d keeps the tree's owners only as root")
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "usr/bin/hello"), []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	killed := filepath.Join(dir, diskBuildPfx+"ae-tdead-0123456789abcdef-1-f1.ext4")
	if err := os.WriteFile(killed, []byte("half a disk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := diskBuildsOf(dir, "ae-tdead"); len(got) != 1 {
		t.Errorf("the killed build's file is not found by its run's prefix: %q", got)
	}
	img := driver.Image{Key: "0123456789abcdef", Rootfs: root, TarBytes: 1}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := ensureDisk(ctx, dir, img, "tlive")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(killed); !os.IsNotExist(err) {
		t.Errorf("a killed build's file survived the next build: %v", err)
	}
	out, err := exec.Command("debugfs", "-R", "cat /usr/bin/hello", p).CombinedOutput()
	if err == nil && !strings.Contains(string(out), "echo hi") {
		t.Errorf("the disk does not hold the tree's file: %q", out)
	}
	fi, _ := os.Stat(p)
	again, err := ensureDisk(ctx, dir, img, "tlive")
	if err != nil || again != p {
		t.Fatalf("second ensureDisk = %q, %v", again, err)
	}
	if fi2, _ := os.Stat(p); !fi2.ModTime().Equal(fi.ModTime()) {
		t.Error("a cached disk was rebuilt")
	}
	left, _ := filepath.Glob(filepath.Join(dir, diskBuildPfx+"*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %q", left)
	}
	if _, err := ensureDisk(ctx, dir, driver.Image{Key: "fedcba9876543210", Rootfs: filepath.Join(root, "missing")}, "tlive"); err == nil || !strings.Contains(err.Error(), "setup") {
		t.Errorf("a missing tree: %v, want an error with the fix", err)
	}
}
