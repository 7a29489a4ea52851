package unavailable

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/vms"
)

var _ measure.Driver = (*Driver)(nil)

func notFound(string) (string, error) { return "", exec.ErrNotFound }

func TestFingerprintNamesTheMissingBinaryAndKVM(t *testing.T) {
	d := Firecracker()
	d.LookPath = notFound
	d.KVMPath = filepath.Join(t.TempDir(), "kvm") // does not exist
	fp := d.Fingerprint(context.Background())
	if fp.Available {
		t.Fatal("firecracker reported available without its binary")
	}
	for _, want := range []string{`looked for "firecracker"`, "no usable KVM", "does not exist"} {
		if !strings.Contains(fp.Reason, want) {
			t.Errorf("reason %q does not say %q", fp.Reason, want)
		}
	}
	if !strings.Contains(fp.Fix, "firecracker") || !strings.Contains(fp.Fix, "/dev/kvm") {
		t.Errorf("fix %q does not say what to install and that KVM is needed", fp.Fix)
	}
}

func TestKataLooksForEitherBinary(t *testing.T) {
	d := Kata()
	var asked []string
	d.LookPath = func(b string) (string, error) { asked = append(asked, b); return "", exec.ErrNotFound }
	d.Fingerprint(context.Background())
	if strings.Join(asked, ",") != "kata-runtime,containerd-shim-kata-v2" {
		t.Errorf("looked for %v", asked)
	}
}

func TestInstalledButUndrivenIsStillUnavailableAndSaysSo(t *testing.T) {
	d := CloudHypervisor()
	d.LookPath = func(b string) (string, error) { return "/opt/bin/" + b, nil }
	fp := d.Fingerprint(context.Background())
	if fp.Available {
		t.Fatal("a system without a driver reported available")
	}
	if !strings.Contains(fp.Reason, "/opt/bin/cloud-hypervisor") {
		t.Errorf("reason %q does not name the binary found", fp.Reason)
	}
}

func TestAetherVMHasNoReleaseToDrive(t *testing.T) {
	fp := AetherVM().Fingerprint(context.Background())
	if fp.Available || !strings.Contains(fp.Reason, "no public release") {
		t.Errorf("aethervm fingerprint %+v", fp)
	}
}

func TestStartRefusesWithTheReason(t *testing.T) {
	d := Firecracker()
	d.LookPath = notFound
	_, err := d.Start(context.Background(), measure.Spec{ID: "ae-x-1"})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "firecracker") {
		t.Errorf("Start error %v", err)
	}
}

func TestAllCoversTheFourUnmeasurableSystems(t *testing.T) {
	var got []vms.System
	for _, d := range All() {
		got = append(got, d.System())
	}
	want := []vms.System{vms.AetherVM, vms.Firecracker, vms.CloudHypervisor, vms.Kata}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("All()[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}
