package probe

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/vms"
)

func recordedFacts(t *testing.T, name string) Facts {
	t.Helper()
	for _, line := range strings.Split(readRecording(t, name), "\n") {
		if m, ok := Parse(line); ok && m.Verb == VerbFacts {
			f, err := ParseFacts(m.Payload)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("no facts line in testdata/%s.txt", name)
	return Facts{}
}

// recordedHost is the identity of the host the recordings were made on.
func recordedHost(t *testing.T) HostIdentity {
	t.Helper()
	b, err := os.ReadFile("testdata/host-identity.json")
	if err != nil {
		t.Fatal(err)
	}
	var h HostIdentity
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func findings(a Assessment) map[string]Finding {
	m := map[string]Finding{}
	for _, f := range a.Findings {
		m[f.Finding] = f
	}
	return m
}

func TestAssessObservesTheSharedKernelOfContainers(t *testing.T) {
	host := recordedHost(t)
	for _, name := range []string{"host", "runc", "docker", "unshare-root", "unshare-userns"} {
		// Whatever the driver declares, equal boot ids decide.
		a := Assess(host, recordedFacts(t, name), vms.BoundaryHardware)
		if a.Boundary != vms.BoundarySharedKernel || !a.Observed {
			t.Errorf("%s: %s observed=%v (%s), want shared-kernel observed", name, a.Boundary, a.Observed, a.Basis)
		}
		if !strings.Contains(a.Basis, host.BootID) {
			t.Errorf("%s: basis %q does not cite the boot_id", name, a.Basis)
		}
	}
}

func TestAssessObservesGVisorsUserspaceKernel(t *testing.T) {
	a := Assess(recordedHost(t), recordedFacts(t, "gvisor"), "")
	if a.Boundary != vms.BoundaryUserspaceKernel || !a.Observed || !strings.Contains(a.Basis, "4.19.0-gvisor") {
		t.Errorf("gvisor: %+v, want userspace-kernel observed citing 4.19.0-gvisor", a)
	}
}

func TestAssessLabelsAVMsBoundaryDeclared(t *testing.T) {
	a := Assess(recordedHost(t), recordedFacts(t, "qemu-tcg"), vms.BoundaryHardware)
	if a.Boundary != vms.BoundaryHardware || a.Observed || !strings.HasPrefix(a.Basis, "declared") {
		t.Errorf("qemu: %+v, want hardware-virtualization declared", a)
	}
	// The guest's own kernel grants its init everything: that is no
	// finding against the host.
	for _, f := range a.Findings {
		if f.Severity != vms.SeverityInfo && f.Finding != "rootfs writable" {
			t.Errorf("qemu: guest-kernel finding %+v, want severity info", f)
		}
	}
	if f, ok := findings(a)["CAP_SYS_ADMIN effective (inside the sandbox's own kernel)"]; !ok || f.Severity != vms.SeverityInfo {
		t.Errorf("qemu: CAP_SYS_ADMIN finding %+v, want it kept at info", f)
	}
}

func TestAssessFallsBackToTheDeclarationWithoutTheHostsIdentity(t *testing.T) {
	a := Assess(HostIdentity{}, recordedFacts(t, "runc"), vms.BoundarySharedKernel)
	if a.Boundary != vms.BoundarySharedKernel || a.Observed || !strings.Contains(a.Basis, "host's kernel identity is not known") {
		t.Errorf("%+v, want shared-kernel declared because the host is unknown", a)
	}
	f := recordedFacts(t, "runc")
	f.BootID = Reading{Unknown: "read /proc/sys/kernel/random/boot_id: ENOENT"}
	a = Assess(recordedHost(t), f, vms.BoundarySharedKernel)
	if a.Observed || !strings.Contains(a.Basis, "ENOENT") {
		t.Errorf("%+v, want declared with the reason the boot_id is unknown", a)
	}
}

func TestAssessFindsRuncDefaultsWeaknesses(t *testing.T) {
	a := Assess(recordedHost(t), recordedFacts(t, "runc"), vms.BoundarySharedKernel)
	got := findings(a)
	for _, want := range []struct {
		finding  string
		severity vms.Severity
	}{
		{"no seccomp filter", vms.SeverityMedium},
		{"uid 0 is host root", vms.SeverityHigh},
		{"ptrace of pid 1 permitted", vms.SeverityLow}, // pid 1 is the probe itself
		{"user namespace creation permitted", vms.SeverityMedium},
	} {
		f, ok := got[want.finding]
		if !ok || f.Severity != want.severity || f.Evidence == "" {
			t.Errorf("runc: finding %q = %+v, want severity %s with evidence", want.finding, f, want.severity)
		}
	}
	for _, absent := range []string{"host loopback reachable", "rootfs writable", "CAP_SYS_ADMIN effective",
		"mount(2) permitted", "no_new_privs not set", "/proc/sys writable"} {
		if f, ok := got[absent]; ok {
			t.Errorf("runc: unexpected finding %+v", f)
		}
	}
}

func TestAssessFindsTheHostsOwnExposure(t *testing.T) {
	got := findings(Assess(recordedHost(t), recordedFacts(t, "host"), vms.BoundarySharedKernel))
	for _, want := range []string{"host loopback reachable", "CAP_SYS_ADMIN effective", "rootfs writable",
		"/proc/sys writable", "mount(2) permitted", "container runtime socket present"} {
		if _, ok := got[want]; !ok {
			t.Errorf("host: no finding %q in %v", want, got)
		}
	}
	var others bool
	for k := range got {
		others = others || strings.HasSuffix(k, "other processes visible")
	}
	if !others {
		t.Errorf("host: processes outside not found in %v", got)
	}
}

func TestAssessDoesNotTurnUnknownIntoFindings(t *testing.T) {
	f := Facts{Schema: FactsSchema, EUID: 0,
		HostLoopback: Check{Result: Unknown, Evidence: "no HOST:PORT given to check"},
		Mount:        Check{Result: Unknown, Evidence: "no writable directory to mount on"},
		Seccomp:      Reading{Unknown: "read /proc/self/status: EACCES"},
	}
	a := Assess(HostIdentity{}, f, vms.BoundaryUserspaceKernel)
	for _, fd := range a.Findings {
		if fd.Severity != vms.SeverityInfo {
			t.Errorf("unknown facts produced finding %+v", fd)
		}
	}
}

func TestAssessFindsDockersDefaultsWeaknessesButNotItsSeccompFilter(t *testing.T) {
	got := findings(Assess(recordedHost(t), recordedFacts(t, "docker"), vms.BoundarySharedKernel))
	for _, want := range []string{"rootfs writable", "no_new_privs not set", "CAP_NET_RAW effective", "CAP_MKNOD effective", "uid 0 is host root"} {
		if _, ok := got[want]; !ok {
			t.Errorf("docker: no finding %q in %v", want, got)
		}
	}
	for _, absent := range []string{"no seccomp filter", "user namespace creation permitted", "keyctl(2) permitted", "mount(2) permitted"} {
		if f, ok := got[absent]; ok {
			t.Errorf("docker: unexpected finding %+v", f)
		}
	}
}
