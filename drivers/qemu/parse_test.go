package qemu

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseVersionReadsDebiansVersionLine(t *testing.T) {
	v, err := parseVersion(string(readTestdata(t, "version-debian-7.2.txt")))
	if err != nil {
		t.Fatal(err)
	}
	want := qemuVersion{Version: "7.2.22", Package: "Debian 1:7.2+dfsg-7+deb12u18+b3"}
	if v != want {
		t.Fatalf("parseVersion = %+v, want %+v", v, want)
	}
	if got := v.String(); got != "7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)" {
		t.Errorf("String() = %q", got)
	}
}

func TestParseVersionWithoutPackageAndRejectsOtherText(t *testing.T) {
	v, err := parseVersion("QEMU emulator version 9.1.0\n")
	if err != nil || v.Version != "9.1.0" || v.Package != "" || v.String() != "9.1.0" {
		t.Fatalf("parseVersion(upstream) = %+v, %v", v, err)
	}
	if _, err := parseVersion("qemu-system-x86_64: command not found"); err == nil {
		t.Fatal("parseVersion accepted a line that is not a version line")
	}
}

func TestParseAccelHelpListsAccelerators(t *testing.T) {
	got := parseAccelHelp(string(readTestdata(t, "accel-help-7.2.txt")))
	if want := []string{"tcg", "kvm"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("parseAccelHelp = %q, want %q", got, want)
	}
}

func TestParseCPUMHzGivesKHz(t *testing.T) {
	got, err := parseCPUMHz(string(readTestdata(t, "cpuinfo-x86.txt")))
	if err != nil {
		t.Fatal(err)
	}
	if got != 2596128 {
		t.Fatalf("parseCPUMHz = %d, want 2596128 (cpu MHz 2596.128)", got)
	}
	if _, err := parseCPUMHz("processor\t: 0\nvendor_id\t: GenuineIntel\n"); err == nil {
		t.Fatal("parseCPUMHz accepted cpuinfo without a cpu MHz line")
	}
	if _, err := parseCPUMHz("cpu MHz\t\t: fast\n"); err == nil {
		t.Fatal("parseCPUMHz accepted a non-number")
	}
}

func TestParseQueryStatus(t *testing.T) {
	for file, want := range map[string]runState{
		"query-status-running.json":     {Status: "running", Running: true},
		"query-status-postmigrate.json": {Status: "postmigrate"},
		"query-status-paused.json":      {Status: "paused"},
	} {
		got, err := parseQueryStatus(readTestdata(t, file))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if got != want {
			t.Errorf("%s: parseQueryStatus = %+v, want %+v", file, got, want)
		}
	}
}

func TestParseQMPReturnSurfacesQEMUsError(t *testing.T) {
	_, err := parseQMPReturn(readTestdata(t, "error-command-not-found.json"))
	qe, ok := err.(*qmpError)
	if !ok {
		t.Fatalf("parseQMPReturn error = %v (%T), want a *qmpError", err, err)
	}
	if qe.Class != "CommandNotFound" || !strings.Contains(qe.Desc, "no-such-command") {
		t.Fatalf("qmp error = %+v", qe)
	}
	for _, f := range []string{"quit.json", "migrate.json", "migrate-set-parameters.json"} {
		if _, err := parseQMPReturn(readTestdata(t, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := parseQMPReturn([]byte(`{"id": "x"}`)); err == nil {
		t.Error("parseQMPReturn accepted a reply with neither return nor error")
	}
	if _, err := parseQueryStatus([]byte(`{"return": {}}`)); err == nil {
		t.Error("parseQueryStatus accepted a reply without a status")
	}
}

func TestParseQueryMigrateFollowsAMigration(t *testing.T) {
	cases := []struct {
		file   string
		status string
		done   bool
	}{
		{"query-migrate-none.json", "", false},
		{"query-migrate-active.json", "setup", false},
		{"query-migrate-completed.json", "completed", true},
		{"query-migrate-failed.json", "failed", true},
	}
	for _, c := range cases {
		m, err := parseQueryMigrate(readTestdata(t, c.file))
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if m.Status != c.status || m.Done() != c.done {
			t.Errorf("%s: status %q done %v, want %q %v", c.file, m.Status, m.Done(), c.status, c.done)
		}
	}
	m, _ := parseQueryMigrate(readTestdata(t, "query-migrate-completed.json"))
	if m.RAM.Total != 268513280 || m.RAM.Transferred != 85661732 || m.TotalTimeMS != 86 || m.DowntimeMS != 2 {
		t.Errorf("completed migration figures = %+v", m)
	}
	f, _ := parseQueryMigrate(readTestdata(t, "query-migrate-failed.json"))
	if f.ErrorDesc != "Unable to write to command: Broken pipe" {
		t.Errorf("failed migration error-desc = %q", f.ErrorDesc)
	}
}

func TestParseNameArgAndSocketPaths(t *testing.T) {
	argv := []string{"/usr/bin/qemu-system-x86_64", "-name", "ae-run1-3", "-accel", "tcg",
		"-qmp", "unix:/tmp/x/qmp.sock,server=on,wait=off", "-pidfile", "/tmp/x/qemu.pid",
		"-chardev", "socket,id=c,path=/tmp/x/con.sock,server=on"}
	if name, ok := parseNameArg(argv); !ok || name != "ae-run1-3" {
		t.Errorf("parseNameArg = %q %v", name, ok)
	}
	if name, ok := parseNameArg([]string{"qemu", "-name", "guest=ae-x-1,debug-threads=on"}); !ok || name != "ae-x-1" {
		t.Errorf("parseNameArg(keyed) = %q %v", name, ok)
	}
	if _, ok := parseNameArg([]string{"qemu", "-m", "256"}); ok {
		t.Error("parseNameArg found a name where there is none")
	}
	want := []string{"/tmp/x/qmp.sock", "/tmp/x/qemu.pid", "/tmp/x/con.sock"}
	if got := socketPathsInArgs(argv); !reflect.DeepEqual(got, want) {
		t.Errorf("socketPathsInArgs = %q, want %q", got, want)
	}
}

func TestKVMBootOutcome(t *testing.T) {
	cases := []struct {
		line string
		done bool
		ok   bool
	}{
		{"[    0.812345] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)", true, true},
		{"KVM internal error. Suberror: 1", true, false},
		{"qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69", true, false},
		{"Probing EDD (edd=off to disable)... ok", false, false},
	}
	for _, c := range cases {
		done, err := kvmBootOutcome(c.line)
		if done != c.done || (done && (err == nil) != c.ok) {
			t.Errorf("kvmBootOutcome(%q) = %v, %v", c.line, done, err)
		}
	}
}
