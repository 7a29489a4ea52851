package gvisor

import (
	"debug/elf"
	"errors"
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
		if !oci.IsNotExist(runscError(readTestdata(t, f))) {
			t.Errorf("%s: not recognised as a missing container", f)
		}
	}
	if oci.IsNotExist(runscError(readTestdata(t, "kill-stopped.txt"))) {
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
	if New(Systrap).Capabilities().Control.MachineErrors {
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

// runscError is the error the OCI runtime client makes of runsc's stderr.
func runscError(stderr []byte) error {
	return &oci.Error{Runtime: "runsc", Command: "kill", Message: oci.Message(stderr), Err: errors.New("exit status 1")}
}
