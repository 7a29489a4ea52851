package ociruntime

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/agentic-eval/agentic-eval/host"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseVersionOfEachRuntime(t *testing.T) {
	for _, c := range []struct {
		file, name, version, spec string
	}{
		{"runc-version.txt", "runc", "1.1.5+ds1", "1.0.2-dev"},
		{"crun-version.txt", "crun", "1.8.1", "1.0.0"},
		{"runsc-version.txt", "runsc", "VERSION_MISSING", "1.2.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, d := ParseVersion(c.name, string(readTestdata(t, c.file)))
			if v != c.version || d["oci_spec"] != c.spec {
				t.Errorf("ParseVersion = %q, %v; want %q with spec %q", v, d, c.version, c.spec)
			}
		})
	}
	if v, _ := ParseVersion("runc", "crun version 1.8.1\n"); v != "" {
		t.Errorf("another runtime's version line read as runc's: %q", v)
	}
}

func TestCgroupLayoutOfEachHost(t *testing.T) {
	for _, c := range []struct {
		file, want string
	}{
		{"mountinfo-cgroup-v1-hybrid.txt", "v1 (memory at /sys/fs/cgroup/memory) with cgroup2 at /sys/fs/cgroup/unified: hybrid"},
		{"mountinfo-cgroup-v2.txt", "v2 (unified at /sys/fs/cgroup)"},
	} {
		t.Run(c.file, func(t *testing.T) {
			m, err := host.ParseMountinfo(readTestdata(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := CgroupLayout(m)
			if !ok || got != c.want {
				t.Errorf("CgroupLayout = %q, %v; want %q", got, ok, c.want)
			}
		})
	}
	if got, ok := CgroupLayout(nil); ok || got != "none" {
		t.Errorf("no mounts: %q, %v", got, ok)
	}
}
