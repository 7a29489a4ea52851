package gvisor

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/oci"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseVersionOfAModuleBuild(t *testing.T) {
	v, spec := parseVersion(string(readTestdata(t, "version.txt")))
	if v != "VERSION_MISSING" || spec != "1.2.1" {
		t.Errorf("parseVersion = %q, %q; want VERSION_MISSING, 1.2.1", v, spec)
	}
}

func TestMissingContainerErrorIsRecognised(t *testing.T) {
	for _, f := range []string{"kill-missing.txt", "kill-missing-log-format-json.txt"} {
		if !isNotExist(string(readTestdata(t, f))) {
			t.Errorf("%s: not recognised as a missing container", f)
		}
	}
	if isNotExist(string(readTestdata(t, "kill-stopped.txt"))) {
		t.Error("a stopped container's kill error taken for a missing container")
	}
}

func TestErrorsAreTextEvenWithJSONLogFormat(t *testing.T) {
	// Pins the capability claim MachineErrors=false: --log-format=json
	// does not change what runsc prints on stderr for a failed command.
	plain, js := readTestdata(t, "kill-missing.txt"), readTestdata(t, "kill-missing-log-format-json.txt")
	if string(plain) != string(js) || len(js) == 0 || js[0] == '{' {
		t.Errorf("stderr with --log-format=json = %q, want the same text as without (%q)", js, plain)
	}
	if (&Driver{}).Capabilities().Control.MachineErrors {
		t.Error("Capabilities claim machine-readable errors")
	}
}

func TestMountinfoFindsTheNullNetNSPinAndCgroupHierarchies(t *testing.T) {
	mounts, err := host.ParseMountinfo(readTestdata(t, "mountinfo.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var pin *host.Mount
	for i := range mounts {
		if mounts[i].Point == "/tmp/gvexp/root/null-netns" {
			pin = &mounts[i]
		}
	}
	if pin == nil || pin.FSType != "nsfs" {
		t.Fatalf("null-netns nsfs mount not found in %+v", mounts)
	}
	cgs := host.CgroupMounts(mounts)
	if len(cgs) != 10 || cgs[0].Point != "/sys/fs/cgroup/cpu" || cgs[9].Point != "/sys/fs/cgroup/unified" {
		t.Errorf("cgroup mounts = %+v", cgs)
	}
}

func TestRunscCommandLines(t *testing.T) {
	sb, ok := parseRunscCmdline(readTestdata(t, "sandbox-cmdline.bin"))
	want := runscProc{Root: "/tmp/gvexp/root", Bundle: "/tmp/gvexp/b1", Command: "boot", ID: "ae-rec-1"}
	if !ok || sb != want {
		t.Errorf("sandbox cmdline = %+v, %v; want %+v", sb, ok, want)
	}
	gofer, ok := parseRunscCmdline(readTestdata(t, "gofer-cmdline.bin"))
	want.Command = "gofer"
	if !ok || gofer != want {
		t.Errorf("gofer cmdline = %+v, %v; want %+v", gofer, ok, want)
	}
	if _, ok := parseRunscCmdline([]byte("sleep\x00100\x00")); ok {
		t.Error("sleep taken for a runsc process")
	}
}

func TestProcStatWithOddComm(t *testing.T) {
	s, err := parseProcStat(string(readTestdata(t, "sandbox-stat.txt")))
	if err != nil || s.PID != 21092 || s.PPID != 1 || s.Comm != "exe" {
		t.Errorf("parseProcStat = %+v, %v", s, err)
	}
	s, err = parseProcStat("42 (a) b (c)) S 7 42")
	if err != nil || s.PID != 42 || s.PPID != 7 || s.Comm != "a) b (c)" {
		t.Errorf("parseProcStat with parentheses in comm = %+v, %v", s, err)
	}
}

func TestDescendantsFollowTheWholeTree(t *testing.T) {
	parent := map[int]int{10: 1, 11: 10, 12: 11, 13: 1, 14: 13}
	got := descendants([]int{10}, parent)
	if len(got) != 3 {
		t.Errorf("descendants(10) = %v, want 10 11 12", got)
	}
}

func TestCapEffAndStatus(t *testing.T) {
	status := "Name:\tx\nSeccomp:\t2\nCapEff:\t000001ffffffffff\n"
	eff, err := capEff(status)
	if err != nil || eff&(1<<19) == 0 {
		t.Errorf("capEff = %x, %v", eff, err)
	}
	if statusField(status, "Seccomp") != "2" {
		t.Error("Seccomp field not read")
	}
}

func TestADynamicBinaryHasAnInterpreter(t *testing.T) {
	// /bin/sh on Debian is a real dynamically linked ELF.
	f, err := elf.Open("/bin/sh")
	if err != nil {
		t.Skipf("no /bin/sh ELF to read: %v", err)
	}
	defer f.Close()
	interp, err := elfInterp(f)
	if err != nil || !strings.Contains(interp, "ld-linux") {
		t.Errorf("/bin/sh interpreter = %q, %v; want the loader", interp, err)
	}
}

func TestPathNames(t *testing.T) {
	if !pathNames("/tmp/run/ae-r1-3/bundle", "ae-r1-") || pathNames("/tmp/xae-r1-3", "ae-r1-") {
		t.Error("pathNames matches whole path elements by prefix only")
	}
}

func TestListStatusLagsBehindAKilledSandbox(t *testing.T) {
	// Recorded 0.3 s after `runsc kill ID KILL`: runsc still says running
	// (and a second kill fails to reach its control server). So Destroy
	// never trusts the status: it always deletes with -force.
	l, err := oci.ParseList("runsc", readTestdata(t, "list-stopped.json"))
	if err != nil || len(l) != 1 || l[0].Status != "running" {
		t.Errorf("oci.ParseList = %+v, %v", l, err)
	}
	if !strings.Contains(string(readTestdata(t, "kill-stopped.txt")), "connection refused") {
		t.Error("kill of a dead sandbox: recorded error changed")
	}
}
