package qemu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/probe"
)

var sandboxSeq atomic.Int64

// needQEMU skips with the precise reason when this host cannot run d.
func needQEMU(t *testing.T, d *Driver) driver.Fingerprint {
	t.Helper()
	fp := d.Fingerprint(context.Background())
	if !fp.Available {
		t.Skipf("%s unavailable here: %s (fix: %s)", d.Variant(), fp.Reason, fp.Fix)
	}
	drivertest.Probe(t)
	return fp
}

// prepared returns d prepared for a run, closed at the end of the test.
func prepared(t *testing.T, d *Driver) driver.RunEnv {
	t.Helper()
	env := driver.RunEnv{RunID: fmt.Sprintf("qt%d", os.Getpid()), Probe: drivertest.Probe(t), Dir: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.Prepare(ctx, env); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return env
}

// guest is one sandbox and the harness's stream to its probe.
type guest struct {
	sb     driver.Sandbox
	stream *probe.Stream
	spec   driver.Spec
}

func newSpec(t *testing.T, env driver.RunEnv, g *guest) driver.Spec {
	n := sandboxSeq.Add(1)
	dir, err := os.MkdirTemp(env.Dir, "sb")
	if err != nil {
		t.Fatal(err)
	}
	attached := 0
	id := fmt.Sprintf("ae-%s-%d", env.RunID, n)
	return driver.Spec{
		ID:    id,
		Probe: env.Probe,
		Args:  []string{"--sandbox=" + id}, // as the harness passes it
		Dir:   dir,
		Attach: func(out io.Reader, in io.Writer) {
			attached++
			if attached > 1 {
				t.Errorf("Attach called %d times", attached)
			}
			g.stream = probe.NewStream(out, in)
		},
	}
}

// destroyAtEnd destroys g when the test ends (a second Destroy after an
// explicit one must be harmless).
func destroyAtEnd(t *testing.T, g *guest) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := g.sb.Destroy(ctx); err != nil {
			t.Errorf("destroy at end: %v", err)
		}
		g.stream.Close()
	})
}

func start(t *testing.T, ctx context.Context, d *Driver, env driver.RunEnv) *guest {
	t.Helper()
	g := &guest{}
	g.spec = newSpec(t, env, g)
	sb, err := d.Start(ctx, g.spec)
	if err != nil {
		t.Fatal(err)
	}
	g.sb = sb
	destroyAtEnd(t, g)
	return g
}

func restore(t *testing.T, ctx context.Context, d *Driver, env driver.RunEnv, snap driver.Snapshot) *guest {
	t.Helper()
	g := &guest{}
	g.spec = newSpec(t, env, g)
	sb, err := d.Restore(ctx, snap, g.spec)
	if err != nil {
		t.Fatal(err)
	}
	g.sb = sb
	destroyAtEnd(t, g)
	return g
}

func request(t *testing.T, ctx context.Context, g *guest, verb string, args ...string) probe.Msg {
	t.Helper()
	m, err := g.stream.Request(ctx, verb, args...)
	if err != nil {
		t.Fatalf("%s: %v", g.spec.ID, err)
	}
	return m
}

// assertNothingLeft checks that no process or file of the run remains.
func assertNothingLeft(t *testing.T, d *Driver, env driver.RunEnv, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			t.Errorf("left behind in %s: %s", dir, e.Name())
		}
	}
	left, err := d.Leftovers(context.Background(), "ae-"+env.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("left behind: %q", left)
	}
}

func TestFingerprintTCGIsOfferedWithItsWarning(t *testing.T) {
	fp := NewTCG().Fingerprint(context.Background())
	if len(fp.Warnings) == 0 || !strings.Contains(fp.Warnings[0], "do not represent") {
		t.Errorf("TCG fingerprint warnings = %q, want the TCG warning", fp.Warnings)
	}
	if !fp.Available {
		if fp.Reason == "" || fp.Fix == "" {
			t.Errorf("unavailable without a reason and a fix: %+v", fp)
		}
		t.Skipf("qemu-kvm/tcg unavailable here: %s", fp.Reason)
	}
	if !strings.HasPrefix(fp.Version, "7.") && !strings.Contains(fp.Version, ".") {
		t.Errorf("version = %q", fp.Version)
	}
	for _, k := range []string{"binary", "kernel", "tsc_early_khz", "accelerators"} {
		if fp.Details[k] == "" {
			t.Errorf("details lack %q: %v", k, fp.Details)
		}
	}
}

// needKVMFingerprintInputs skips unless the KVM variant's fingerprint can
// reach its KVM checks here: a real QEMU with the kvm accelerator and a
// guest kernel (whatever the host's KVM).
func needKVMFingerprintInputs(t *testing.T) {
	t.Helper()
	fp := NewTCG().Fingerprint(context.Background())
	if !fp.Available {
		t.Skipf("qemu-kvm/tcg unavailable here, so no QEMU and guest kernel to fingerprint with: %s (fix: %s)", fp.Reason, fp.Fix)
	}
	if !slices.Contains(strings.Split(fp.Details["accelerators"], ","), string(KVM)) {
		t.Skipf("%s was built without the kvm accelerator (it has: %s)", fp.Details["binary"], fp.Details["accelerators"])
	}
}

// The host's KVM is an input of the KVM variant's fingerprint: each case
// gives it one, so that no verdict depends on whether this machine has a
// /dev/kvm, or one that boots guests.
func TestFingerprintKVMFollowsTheHostsKVM(t *testing.T) {
	needKVMFingerprintInputs(t)
	noDevice := func() error { return fmt.Errorf("open /dev/kvm: %w", unix.ENOENT) }
	deviceOK := func() error { return nil }
	pvmTrial := func(context.Context, string, string) error {
		return errors.New("a guest kernel does not boot under -accel kvm: KVM internal error. Suberror: 1")
	}
	bootsTrial := func(context.Context, string, string) error { return nil }
	cases := []struct {
		name      string
		device    func() error
		trial     func(context.Context, string, string) error
		available bool
		trialRuns bool
		reason    []string
		fix       []string
	}{
		{"no /dev/kvm", noDevice, bootsTrial, false, false,
			[]string{"open /dev/kvm", "no such file or directory"},
			[]string{"hardware virtualization exposed", "qemu-kvm/tcg variant"}},
		{"a /dev/kvm that boots no guest (PVM)", deviceOK, pvmTrial, false, true,
			[]string{"/dev/kvm answers but", "does not boot under -accel kvm", "KVM internal error"},
			[]string{"whose KVM runs guests", "qemu-kvm/tcg variant"}},
		{"a KVM that boots guests", deviceOK, bootsTrial, true, true, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewKVM()
			var trialQEMU, trialKernel string
			d.kvmDevice = c.device
			d.kvmTrial = func(ctx context.Context, qemu, kernel string) error {
				trialQEMU, trialKernel = qemu, kernel
				return c.trial(ctx, qemu, kernel)
			}
			fp := d.Fingerprint(context.Background())
			if fp.Available != c.available {
				t.Fatalf("available = %v, want %v: %+v", fp.Available, c.available, fp)
			}
			if ran := trialQEMU != ""; ran != c.trialRuns {
				t.Errorf("trial boot ran: %v, want %v", ran, c.trialRuns)
			} else if ran && (trialQEMU != fp.Details["binary"] || trialKernel != fp.Details["kernel"]) {
				t.Errorf("trial boot of %s with %s, want the fingerprint's %s with %s", trialKernel, trialQEMU, fp.Details["kernel"], fp.Details["binary"])
			}
			if len(fp.Warnings) != 0 {
				t.Errorf("KVM variant carries warnings: %q", fp.Warnings)
			}
			if c.available {
				if fp.Reason != "" || fp.Details["cpu"] != "host" || strings.Contains(fp.Details["cmdline"], "tsc_early_khz") {
					t.Errorf("usable KVM: reason %q, details %v: want no reason, -cpu host and no TSC hint", fp.Reason, fp.Details)
				}
				return
			}
			for _, w := range c.reason {
				if !strings.Contains(fp.Reason, w) {
					t.Errorf("reason %q does not say %q", fp.Reason, w)
				}
			}
			for _, w := range c.fix {
				if !strings.Contains(fp.Fix, w) {
					t.Errorf("fix %q does not say %q", fp.Fix, w)
				}
			}
		})
	}
}

// A host that lacks several prerequisites is told of each: the QEMU binary
// (an empty PATH), the guest kernel (a path with nothing there) and, for
// the KVM variant, /dev/kvm (given), each with its fix.
func TestFingerprintNamesEveryMissingPrerequisite(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv(kernelEnv, filepath.Join(t.TempDir(), "vmlinuz"))
	for _, c := range []struct {
		d      *Driver
		reason []string
		fix    []string
	}{
		{NewTCG(), []string{qemuBinary + " not found on PATH", "guest kernel from $" + kernelEnv},
			[]string{"apt-get install qemu-system-x86", "set $" + kernelEnv}},
		{NewKVM(), []string{qemuBinary + " not found on PATH", "guest kernel from $" + kernelEnv, "open /dev/kvm"},
			[]string{"apt-get install qemu-system-x86", "set $" + kernelEnv, "hardware virtualization exposed"}},
	} {
		t.Run(string(c.d.Accelerator()), func(t *testing.T) {
			c.d.kvmDevice = func() error { return fmt.Errorf("open /dev/kvm: %w", unix.ENOENT) }
			fp := c.d.Fingerprint(context.Background())
			if fp.Available {
				t.Fatalf("available without QEMU and a kernel: %+v", fp)
			}
			for _, w := range c.reason {
				if !strings.Contains(fp.Reason, w) {
					t.Errorf("reason %q does not name %q", fp.Reason, w)
				}
			}
			for _, w := range c.fix {
				if !strings.Contains(fp.Fix, w) {
					t.Errorf("fix %q does not say %q", fp.Fix, w)
				}
			}
		})
	}
}

// On this host, whatever its KVM: the fingerprint's verdict is the one
// /dev/kvm itself gives, asked the same way, and a second fingerprint
// answers from the cached trial boot alike.
func TestFingerprintKVMOnThisHostAgreesWithItsDevice(t *testing.T) {
	d := NewKVM()
	fp := d.Fingerprint(context.Background())
	t.Logf("qemu-kvm/kvm: available=%v reason=%q", fp.Available, fp.Reason)
	if !fp.Available && (fp.Reason == "" || fp.Fix == "") {
		t.Errorf("KVM unavailable without a reason and a fix: %+v", fp)
	}
	if devErr := checkKVMDevice(); devErr != nil {
		if fp.Available {
			t.Errorf("available, yet /dev/kvm fails here: %v", devErr)
		}
		if !strings.Contains(fp.Reason, devErr.Error()) {
			t.Errorf("reason %q lacks the device's own answer %q", fp.Reason, devErr)
		}
	} else if fp.Available && fp.Details["cpu"] != "host" {
		t.Errorf("details = %v", fp.Details)
	}
	if fp2 := d.Fingerprint(context.Background()); fp2.Available != fp.Available || fp2.Reason != fp.Reason {
		t.Errorf("second fingerprint differs: %+v vs %+v", fp2, fp)
	}
}

func TestStartBeforePrepareFailsAndLeavesNothing(t *testing.T) {
	d := NewTCG()
	g := &guest{}
	env := driver.RunEnv{RunID: "unprepared", Probe: "/nonexistent", Dir: t.TempDir()}
	spec := newSpec(t, env, g)
	if _, err := d.Start(context.Background(), spec); err == nil || !strings.Contains(err.Error(), "Prepare") {
		t.Fatalf("Start before Prepare: err = %v, want one naming Prepare", err)
	}
	assertNothingLeft(t, d, env, spec.Dir)
}

// TestStartThatQEMURefusesLeavesNothing boots a "kernel" that is not one:
// QEMU exits at once, Start reports QEMU's own words, and neither a process
// nor a socket remains.
func TestStartThatQEMURefusesLeavesNothing(t *testing.T) {
	d := NewTCG()
	needQEMU(t, d)
	bogus := filepath.Join(t.TempDir(), "vmlinuz")
	if err := os.WriteFile(bogus, []byte("not a kernel\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(kernelEnv, bogus) // Prepare resolves the kernel the run boots
	env := prepared(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	g := &guest{}
	spec := newSpec(t, env, g)
	sb, err := d.Start(ctx, spec)
	if err == nil {
		sb.Destroy(ctx)
		t.Fatal("Start succeeded with a bogus kernel")
	}
	if !strings.Contains(err.Error(), "qemu says") {
		t.Errorf("error does not carry QEMU's message: %v", err)
	}
	if g.stream == nil {
		t.Error("Attach was not called before QEMU was started")
	} else {
		g.stream.Close()
	}
	assertNothingLeft(t, d, env, spec.Dir)
}
