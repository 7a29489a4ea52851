package qemu

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/cavaliergopher/cpio"
)

func TestInitramfsHoldsTheProbeAsInitAndAConsole(t *testing.T) {
	dir := t.TempDir()
	probe := filepath.Join(dir, "probe")
	content := bytes.Repeat([]byte("probe-bytes "), 1000)
	if err := os.WriteFile(probe, content, 0o755); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "initramfs.cpio")
	if err := writeInitramfs(dst, probe, nil); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}

	modes := map[string]cpio.FileMode{}
	r := cpio.NewReader(bytes.NewReader(raw))
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		modes[h.Name] = h.Mode
		if h.Name == "init" {
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, content) {
				t.Errorf("/init holds %d bytes, not the probe's %d", len(b), len(content))
			}
		}
	}
	want := map[string]cpio.FileMode{
		"dev": cpio.TypeDir | 0o755, "proc": cpio.TypeDir | 0o755, "sys": cpio.TypeDir | 0o755, "tmp": cpio.TypeDir | 0o755,
		"dev/console": cpio.TypeChar | 0o600,
		"init":        cpio.TypeReg | 0o755,
	}
	for name, m := range want {
		if got, ok := modes[name]; !ok || got != m {
			t.Errorf("entry %q: mode %o (present %v), want %o", name, got, ok, m)
		}
	}

	// The cpio reader does not report device numbers: read the newc
	// header's rdevmajor and rdevminor fields directly.
	i := bytes.Index(raw, []byte("dev/console\x00"))
	if i < newcHeaderLen {
		t.Fatal("no dev/console header")
	}
	h := raw[i-newcHeaderLen : i]
	major, _ := strconv.ParseUint(string(h[78:86]), 16, 32)
	minor, _ := strconv.ParseUint(string(h[86:94]), 16, 32)
	if major != 5 || minor != 1 {
		t.Errorf("/dev/console is char %d,%d, want 5,1", major, minor)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".initramfs-*")); len(left) > 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

func TestInitramfsWithoutProbeLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "initramfs.cpio")
	if err := writeInitramfs(dst, filepath.Join(dir, "missing"), nil); err == nil {
		t.Fatal("writeInitramfs succeeded without a probe")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestVMFilesUnderFindsOnlyThePrefixsFilesWithinDepth(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{
		"sb1/ae-run1-1.qmp", "sb1/ae-run1-1.pid", "sb1/ae-run1-1.log",
		"sb3/ae-run1-2.qga", "sb3/ae-run1-2.console", // a guest on the image
		"sb2/ae-run2-1.qmp", "sb1/notes.txt",
		"a/b/c/d/ae-run1-9.qmp", // deeper than the walk goes
	} {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := vmFilesUnder(root, "ae-run1", 3)
	want := []string{
		filepath.Join(root, "sb1/ae-run1-1.log"),
		filepath.Join(root, "sb1/ae-run1-1.pid"),
		filepath.Join(root, "sb1/ae-run1-1.qmp"),
		filepath.Join(root, "sb3/ae-run1-2.console"),
		filepath.Join(root, "sb3/ae-run1-2.qga"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("vmFilesUnder = %q, want %q", got, want)
	}
}

func TestInitramfsCarriesTheGuestModulesUnderLibModules(t *testing.T) {
	dir := t.TempDir()
	probePath := filepath.Join(dir, "probe")
	mod := filepath.Join(dir, "virtio_blk.ko.xz")
	if err := os.WriteFile(probePath, []byte("probe"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mod, []byte("\xfd7zXZ module"), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "initramfs.cpio")
	if err := writeInitramfs(dst, probePath, []string{mod}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := cpio.NewReader(f)
	found := map[string]string{}
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		found[h.Name] = string(b)
	}
	if got := found["lib/modules/virtio_blk.ko.xz"]; got != "\xfd7zXZ module" {
		t.Errorf("module in the initramfs: %q (entries %v)", got, len(found))
	}
	if _, ok := found["lib/modules"]; !ok {
		t.Error("no lib/modules directory")
	}
	if err := writeInitramfs(dst, probePath, []string{filepath.Join(dir, "missing.ko.xz")}); err == nil {
		t.Error("a missing module was accepted")
	}
}
