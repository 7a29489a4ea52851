package unavailable

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/vms"
)

var _ driver.Driver = (*Driver)(nil)

func notFound(string) (string, error) { return "", exec.ErrNotFound }

func foundIn(dir string) func(string) (string, error) {
	return func(b string) (string, error) { return dir + "/" + b, nil }
}

// The host's KVM is an input of the fingerprint: each test gives it one,
// so that no verdict depends on whether this machine has /dev/kvm.
func noKVM() host.KVM {
	return host.KVM{Device: "/dev/kvm", Reason: "/dev/kvm does not exist (the CPU's virtualization extensions are not exposed to this host, or the kvm module is not loaded)"}
}

func usableKVM() host.KVM {
	return host.KVM{Device: "/dev/kvm", Present: true, Usable: true, APIVersion: host.KVMAPIVersion}
}

func TestFingerprintNamesEveryMissingPieceAndEveryBinaryFound(t *testing.T) {
	cases := []struct {
		name      string
		look      func(string) (string, error)
		kvm       func() host.KVM
		want      []string
		wantNot   []string
		fixWant   []string
		fixAbsent []string
	}{
		{
			name:    "no binary, no KVM",
			look:    notFound,
			kvm:     noKVM,
			want:    []string{`looked for "cloud-hypervisor"`, "no usable KVM", "does not exist"},
			fixWant: []string{"install the cloud-hypervisor", "/dev/kvm"},
		},
		{
			name:      "no binary, KVM usable",
			look:      notFound,
			kvm:       usableKVM,
			want:      []string{`looked for "cloud-hypervisor"`},
			wantNot:   []string{"KVM"},
			fixWant:   []string{"install the cloud-hypervisor"},
			fixAbsent: []string{"/dev/kvm"},
		},
		{
			name:    "binary found, no KVM",
			look:    foundIn("/opt/bin"),
			kvm:     noKVM,
			want:    []string{"/opt/bin/cloud-hypervisor", "no usable KVM", "no driver for it"},
			wantNot: []string{"looked for"},
			fixWant: []string{"cloud-hypervisor driver", "/dev/kvm"},
		},
		{
			name:      "binary found, KVM usable",
			look:      foundIn("/opt/bin"),
			kvm:       usableKVM,
			want:      []string{"/opt/bin/cloud-hypervisor", "no driver for it"},
			wantNot:   []string{"KVM", "looked for"},
			fixWant:   []string{"cloud-hypervisor driver"},
			fixAbsent: []string{"/dev/kvm", "install the"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := CloudHypervisor()
			d.LookPath, d.KVM = c.look, c.kvm
			fp := d.Fingerprint(context.Background())
			if fp.Available {
				t.Fatal("a system without a driver reported available")
			}
			for _, w := range c.want {
				if !strings.Contains(fp.Reason, w) {
					t.Errorf("reason %q does not say %q", fp.Reason, w)
				}
			}
			for _, w := range c.wantNot {
				if strings.Contains(fp.Reason, w) {
					t.Errorf("reason %q says %q, which does not hold here", fp.Reason, w)
				}
			}
			for _, w := range c.fixWant {
				if !strings.Contains(fp.Fix, w) {
					t.Errorf("fix %q does not say %q", fp.Fix, w)
				}
			}
			for _, w := range c.fixAbsent {
				if strings.Contains(fp.Fix, w) {
					t.Errorf("fix %q says %q, which is not needed here", fp.Fix, w)
				}
			}
		})
	}
}

func TestKataLooksForEitherBinary(t *testing.T) {
	d := Kata()
	var asked []string
	d.LookPath = func(b string) (string, error) { asked = append(asked, b); return "", exec.ErrNotFound }
	d.KVM = noKVM
	d.Fingerprint(context.Background())
	if strings.Join(asked, ",") != "kata-runtime,containerd-shim-kata-v2" {
		t.Errorf("looked for %v", asked)
	}
}

func TestAetherVMHasNoReleaseToDrive(t *testing.T) {
	for _, kvm := range []func() host.KVM{noKVM, usableKVM} {
		d := AetherVM()
		d.LookPath, d.KVM = notFound, kvm
		fp := d.Fingerprint(context.Background())
		if fp.Available || !strings.Contains(fp.Reason, "no public release") {
			t.Errorf("aethervm fingerprint %+v", fp)
		}
	}
}

func TestStartRefusesWithTheReason(t *testing.T) {
	d := Firecracker()
	d.LookPath, d.KVM = notFound, usableKVM
	_, err := d.Start(context.Background(), driver.Spec{ID: "ae-x-1"})
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
