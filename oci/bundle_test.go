package oci

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSpecRunsTheProbeWithItsArgs(t *testing.T) {
	s := Spec(Options{ID: "ae-t-1", Probe: "/x", Args: []string{"-v", "idle"}})
	want := []string{"/sandbox-probe", "-v", "idle"}
	if !slices.Equal(s.Process.Args, want) {
		t.Fatalf("args = %q, want %q", s.Process.Args, want)
	}
	if s.Process.Terminal {
		t.Error("terminal is on: the probe must speak through plain stdio")
	}
	if s.Process.User.UID != 0 || s.Process.User.GID != 0 {
		t.Errorf("user = %+v, want root", s.Process.User)
	}
	if !s.Process.NoNewPrivileges {
		t.Error("noNewPrivileges is off")
	}
	if s.Hostname != "ae-t-1" {
		t.Errorf("hostname = %q, want the ID when Hostname is empty", s.Hostname)
	}
	if s.Root.Path != "rootfs" {
		t.Errorf("root path = %q", s.Root.Path)
	}
}

func TestSpecAddsEnvAfterPath(t *testing.T) {
	s := Spec(Options{ID: "a", Env: []string{"A=1"}})
	if !slices.Equal(s.Process.Env, []string{DefaultPath, "A=1"}) {
		t.Fatalf("env = %q", s.Process.Env)
	}
}

func TestSpecHasRuncDefaultCapabilitiesOnly(t *testing.T) {
	s := Spec(Options{ID: "a"})
	c := s.Process.Capabilities
	for name, set := range map[string][]string{
		"bounding": c.Bounding, "effective": c.Effective, "permitted": c.Permitted, "ambient": c.Ambient,
	} {
		if !slices.Equal(set, []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}) {
			t.Errorf("%s capabilities = %q", name, set)
		}
	}
	if c.Inheritable != nil {
		t.Errorf("inheritable = %q, want none", c.Inheritable)
	}
}

func TestSpecHasNewNamespacesAndNoHostNetwork(t *testing.T) {
	s := Spec(Options{ID: "a"})
	var types []specs.LinuxNamespaceType
	for _, ns := range s.Linux.Namespaces {
		types = append(types, ns.Type)
		if ns.Path != "" {
			t.Errorf("namespace %s joins %q: every namespace must be new", ns.Type, ns.Path)
		}
	}
	want := []specs.LinuxNamespaceType{specs.PIDNamespace, specs.NetworkNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.MountNamespace}
	if !slices.Equal(types, want) {
		t.Fatalf("namespaces = %q, want %q", types, want)
	}
	if slices.Contains(types, specs.UserNamespace) || slices.Contains(types, specs.CgroupNamespace) {
		t.Error("spec adds namespaces runc's default does not")
	}
}

func TestSpecMountsAreRuncDefaultsWithoutCgroupfs(t *testing.T) {
	s := Spec(Options{ID: "a"})
	got := map[string]specs.Mount{}
	var dests []string
	for _, m := range s.Mounts {
		got[m.Destination] = m
		dests = append(dests, m.Destination)
	}
	if want := []string{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"}; !slices.Equal(dests, want) {
		t.Fatalf("mounts = %q, want %q", dests, want)
	}
	for dest, typ := range map[string]string{"/proc": "proc", "/dev": "tmpfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs", "/dev/mqueue": "mqueue", "/sys": "sysfs"} {
		if got[dest].Type != typ {
			t.Errorf("%s type = %q, want %q", dest, got[dest].Type, typ)
		}
	}
	if !slices.Contains(got["/sys"].Options, "ro") {
		t.Errorf("/sys options %q: sysfs must be read-only", got["/sys"].Options)
	}
}

func TestReadonlyRootfsGetsATmpfsOnTmp(t *testing.T) {
	rw := Spec(Options{ID: "a"})
	ro := Spec(Options{ID: "a", ReadonlyRootfs: true})
	if rw.Root.Readonly || !ro.Root.Readonly {
		t.Fatalf("root readonly: rw=%v ro=%v", rw.Root.Readonly, ro.Root.Readonly)
	}
	if len(ro.Mounts) != len(rw.Mounts)+1 || ro.Mounts[len(ro.Mounts)-1].Destination != "/tmp" {
		t.Fatalf("read-only mounts = %+v, want the defaults plus /tmp", ro.Mounts)
	}
}

func TestSpecMasksProcAndDeniesDevices(t *testing.T) {
	s := Spec(Options{ID: "a", CgroupsPath: "/agentic-eval/a"})
	if !slices.Contains(s.Linux.MaskedPaths, "/proc/kcore") || !slices.Contains(s.Linux.ReadonlyPaths, "/proc/sys") {
		t.Errorf("masked %q readonly %q", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
	}
	d := s.Linux.Resources.Devices
	if len(d) != 1 || d[0].Allow || d[0].Access != "rwm" {
		t.Errorf("device rules = %+v, want deny all", d)
	}
	if s.Linux.CgroupsPath != "/agentic-eval/a" {
		t.Errorf("cgroupsPath = %q", s.Linux.CgroupsPath)
	}
	if Spec(Options{ID: "a"}).Linux.CgroupsPath != "" {
		t.Error("empty CgroupsPath must leave the runtime's default")
	}
}

func fakeProbe(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(p, []byte("#!probe\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWriteBundleLaysOutRootfsAndConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bundle")
	probe := fakeProbe(t)
	s, err := WriteBundle(dir, Options{ID: "ae-t-2", Probe: probe, Args: []string{"x"}, Hostname: "box"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"proc", "dev", "sys", "tmp", "etc"} {
		fi, err := os.Stat(filepath.Join(dir, "rootfs", d))
		if err != nil || !fi.IsDir() {
			t.Errorf("rootfs/%s: %v", d, err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dir, "rootfs", "tmp")); fi.Mode()&os.ModeSticky == 0 {
		t.Errorf("rootfs/tmp mode %v, want sticky", fi.Mode())
	}
	fi, err := os.Stat(filepath.Join(dir, "rootfs", "sandbox-probe"))
	if err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("rootfs/sandbox-probe: %v %v", fi, err)
	}
	if h, _ := os.ReadFile(filepath.Join(dir, "rootfs", "etc", "hostname")); string(h) != "box\n" {
		t.Errorf("/etc/hostname = %q", h)
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk specs.Spec
	if err := json.Unmarshal(b, &onDisk); err != nil {
		t.Fatal(err)
	}
	if onDisk.Version != SpecVersion || !slices.Equal(onDisk.Process.Args, s.Process.Args) || onDisk.Hostname != "box" {
		t.Errorf("config.json = %+v, returned %+v", onDisk, s)
	}
}

func TestWritableRootfsGetsACopyOfTheProbeNotALink(t *testing.T) {
	probe := fakeProbe(t)
	for _, ro := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "bundle")
		if _, err := WriteBundle(dir, Options{ID: "a", Probe: probe, ReadonlyRootfs: ro}); err != nil {
			t.Fatal(err)
		}
		a, _ := os.Stat(probe)
		b, _ := os.Stat(filepath.Join(dir, "rootfs", "sandbox-probe"))
		if !ro && os.SameFile(a, b) {
			t.Error("writable rootfs shares the host probe's inode: the sandbox could rewrite it")
		}
		if ro && !os.SameFile(a, b) {
			t.Log("read-only rootfs on the same file system got a copy, not a link")
		}
	}
}

func TestWriteBundleFailsCleanly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bundle")
	if _, err := WriteBundle(dir, Options{ID: "a", Probe: filepath.Join(dir, "missing")}); err == nil {
		t.Fatal("missing probe: no error")
	}
	if _, err := os.Stat(filepath.Join(dir, "rootfs")); !os.IsNotExist(err) {
		t.Errorf("failed write left rootfs behind: %v", err)
	}
	if _, err := WriteBundle(dir, Options{Probe: "/bin/true"}); err == nil {
		t.Error("empty ID: no error")
	}
}
