package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodManifest = `{
  "format": 1,
  "key": "0123456789abcdef",
  "suite": "bookworm",
  "arch": "amd64",
  "variant": "minbase",
  "builder": "mmdebstrap 1.3.5-7",
  "packages": ["python3", "python3-numpy"],
  "versions": {"python3": "3.11.2-1+b1", "python3-numpy": "1:1.24.2-1+deb12u1"},
  "numpy_version": "1.24.2",
  "installed_packages": 124,
  "sources": ["deb http://deb.debian.org/debian bookworm main"],
  "tar": "rootfs.tar",
  "tar_bytes": 5,
  "tar_sha256": "00",
  "rootfs": "rootfs",
  "rootfs_bytes": 10,
  "rootfs_disk_bytes": 4096,
  "built": "2026-12-01T22:10:33Z"
}
`

// fixture lays out cache/image/<key>/{manifest.json,rootfs.tar,rootfs/}
// and the current link; it returns the cache root and the key directory.
func fixture(t *testing.T, manifest string) (string, string) {
	t.Helper()
	cache := t.TempDir()
	dir := filepath.Join(cache, "image", "0123456789abcdef")
	if err := os.MkdirAll(filepath.Join(dir, "rootfs", "usr", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rootfs.tar"), []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("0123456789abcdef", filepath.Join(cache, "image", "current")); err != nil {
		t.Fatal(err)
	}
	return cache, dir
}

func TestFind(t *testing.T) {
	cache, dir := fixture(t, goodManifest)
	im, err := Find(cache)
	if err != nil {
		t.Fatal(err)
	}
	if im.Key != "0123456789abcdef" || im.Dir != dir || im.Tar != filepath.Join(dir, "rootfs.tar") || im.Rootfs != filepath.Join(dir, "rootfs") {
		t.Errorf("paths: %+v", im)
	}
	if im.TarBytes != 5 || im.RootfsBytes != 10 || im.RootfsDisk != 4096 || im.Installed != 124 {
		t.Errorf("sizes: %+v", im)
	}
	if im.Versions["python3-numpy"] != "1:1.24.2-1+deb12u1" || im.NumpyVersion != "1.24.2" || im.Suite != "bookworm" || im.Arch != "amd64" {
		t.Errorf("versions: %+v", im)
	}
	if im.Built.IsZero() || im.Built.Year() != 2026 {
		t.Errorf("built: %v", im.Built)
	}
}

func TestFindErrors(t *testing.T) {
	for _, c := range []struct {
		name, manifest string
		mutate         func(t *testing.T, cache, dir string)
		want           string
	}{
		{"no image", goodManifest, func(t *testing.T, cache, dir string) {
			os.Remove(filepath.Join(cache, "image", "current"))
		}, "current is missing: run scripts/setup.sh"},
		{"no manifest", goodManifest, func(t *testing.T, cache, dir string) {
			os.Remove(filepath.Join(dir, "manifest.json"))
		}, "manifest.json is missing: run scripts/setup.sh"},
		{"no tar", goodManifest, func(t *testing.T, cache, dir string) {
			os.Remove(filepath.Join(dir, "rootfs.tar"))
		}, "rootfs.tar is missing (the manifest names it): run scripts/setup.sh"},
		{"no rootfs", goodManifest, func(t *testing.T, cache, dir string) {
			os.RemoveAll(filepath.Join(dir, "rootfs"))
		}, "rootfs is missing (the manifest names it): run scripts/setup.sh"},
		{"tar size", strings.Replace(goodManifest, `"tar_bytes": 5`, `"tar_bytes": 6`, 1), nil, "is 5 bytes, its manifest says 6"},
		{"trailing", goodManifest + "{}", nil, "trailing data"},
		{"garbage", "not json", nil, "invalid character"},
		{"key mismatch", strings.Replace(goodManifest, "0123456789abcdef", "fedcba9876543210", 1), nil, "does not name its directory"},
		{"bad key", strings.Replace(goodManifest, "0123456789abcdef", "../x", 1), nil, "not 16 hex digits"},
		{"no version", strings.Replace(goodManifest, `"python3": "3.11.2-1+b1", `, "", 1), nil, "no installed version of python3"},
		{"format", strings.Replace(goodManifest, `"format": 1`, `"format": 0`, 1), nil, "format 0"},
		{"manifest is a dir", goodManifest, func(t *testing.T, cache, dir string) {
			m := filepath.Join(dir, "manifest.json")
			os.Remove(m)
			os.Mkdir(m, 0o755)
		}, "not a regular file"},
		{"manifest too big", goodManifest, func(t *testing.T, cache, dir string) {
			big := goodManifest + strings.Repeat(" ", maxManifest)
			os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(big), 0o644)
		}, "more than the 1048576"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cache, dir := fixture(t, c.manifest)
			if c.mutate != nil {
				c.mutate(t, cache, dir)
			}
			_, err := Find(cache)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Find: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestCacheDir(t *testing.T) {
	t.Setenv("AGENTIC_EVAL_CACHE", "")
	if d := CacheDir(); d != DefaultCache {
		t.Errorf("CacheDir() = %q, want %q", d, DefaultCache)
	}
	t.Setenv("AGENTIC_EVAL_CACHE", "/tmp/x")
	if d := CacheDir(); d != "/tmp/x" {
		t.Errorf("CacheDir() = %q with $AGENTIC_EVAL_CACHE=/tmp/x", d)
	}
}

// TestRealImage checks the image setup built on this host, when there is one.
func TestRealImage(t *testing.T) {
	if _, err := os.Lstat(filepath.Join(DefaultCache, "image", "current")); err != nil {
		t.Skipf("no image under %s (%v): run scripts/setup.sh to build it", DefaultCache, err)
	}
	im, err := Find(DefaultCache)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(im.Rootfs, "usr", "bin", "python3"))
	if err != nil {
		t.Fatalf("python3 in the image: %v", err)
	}
	if st.Mode()&0o111 == 0 {
		t.Errorf("%s/usr/bin/python3 is not executable: %v", im.Rootfs, st.Mode())
	}
	tar, err := os.Stat(im.Tar)
	if err != nil {
		t.Fatal(err)
	}
	if tar.Size() != im.TarBytes {
		t.Errorf("%s is %d bytes, manifest says %d", im.Tar, tar.Size(), im.TarBytes)
	}
	for _, p := range []string{"python3", "python3-numpy"} {
		if im.Versions[p] == "" {
			t.Errorf("manifest records no version of %s", p)
		}
	}
	t.Logf("image %s: %s, tar %d bytes, tree %d bytes", im.Key, im.Versions, im.TarBytes, im.RootfsBytes)
}
