package k8s

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/internal/kubetest"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/results"
)

func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }

func TestConformanceRunc(t *testing.T) {
	kubetest.Skip(t)
	drivertest.Conformance(t, func() driver.Driver { return New(Runc) }, drivertest.ProbeFromImage)
}

// capSysResource is CAP_SYS_RESOURCE's bit in /proc/self/status's CapBnd.
const capSysResource = 24

func hostHasCapSysResource(t *testing.T) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "CapBnd:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n&(1<<capSysResource) != 0
		}
	}
	t.Fatal("no CapBnd in /proc/self/status")
	return false
}

// gVisor's containerd shim lowers its own OOM score to -999, which needs
// CAP_SYS_RESOURCE. Where the host has it, k8s/gvisor passes the
// conformance suite; where it does not (this machine kind), its start
// fails fast, as a runtime failure that names the cause, and leaves nothing.
func TestGVisorThroughKubernetes(t *testing.T) {
	kubetest.Skip(t)
	if hostHasCapSysResource(t) {
		drivertest.Conformance(t, func() driver.Driver { return New(GVisor) }, drivertest.ProbeFromImage)
		return
	}
	d := New(GVisor)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if fp := d.Fingerprint(ctx); !fp.Available {
		t.Skipf("k8s/gvisor unavailable: %s (fix: %s)", fp.Reason, fp.Fix)
	}
	env := driver.RunEnv{RunID: drivertest.NewRunID(t), Probe: drivertest.Probe(t), Dir: t.TempDir()}
	if err := d.Prepare(ctx, env); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := d.Close(context.Background()); err != nil {
			t.Error(err)
		}
		drivertest.AssertNoLeftovers(t, d, "ae-"+env.RunID)
	}()
	var a drivertest.Attached
	defer a.Close()
	id, err := measure.SandboxID("ae-"+env.RunID, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sb, err := d.Start(ctx, driver.Spec{ID: id, Probe: env.Probe, Dir: dir, Attach: a.Attach})
	if err == nil {
		sb.Destroy(ctx)
		t.Fatal("a gVisor pod started on a host without CAP_SYS_RESOURCE: this test's premise is out of date; run the conformance suite instead")
	}
	if !strings.Contains(err.Error(), "OOM Score") {
		t.Errorf("the failure does not name gVisor's shim's OOM score: %v", err)
	}
	if c := measure.Classify(err); c != results.ClassRuntime {
		t.Errorf("class %s, want %s (the runtime cannot start here): %v", c, results.ClassRuntime, err)
	}
	// The failure comes from the kubelet's events, not from a timeout.
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		t.Errorf("the failure is a timeout (%v), not the kubelet's event: %v", ctx.Err(), err)
	}
	drivertest.AssertNoLeftovers(t, d, id)
}
