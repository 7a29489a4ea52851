package vms_test

// The reference module's five unit tests, translated one for one: same
// names in Go style, same assertions, same messages.

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/vms"
)

func TestEveryVMProfilesWithEvidence(t *testing.T) {
	for _, vm := range vms.All() {
		p := vms.ProfileOf(vm)
		if len(p.Evidence) < 3 {
			t.Errorf("%s needs ≥3 evidence lines", vm.Name())
		}
		for _, s := range []float64{p.StartLatency, p.Density, p.Isolation, p.Snapshotting, p.AgentControl} {
			if !(s >= 0.0 && s <= 1.0) {
				t.Errorf("%s score out of range", vm.Name())
			}
		}
	}
}

// The reference's from_name is Parse here: Some(vm) is a nil error, None an
// error.
func TestFromNameRoundtripAndAliases(t *testing.T) {
	for _, vm := range vms.All() {
		got, err := vms.Parse(vm.Name())
		if err != nil || got != vm {
			t.Errorf("Parse(%q) = %v, %v; want %v", vm.Name(), got, err, vm)
		}
	}
	for name, want := range map[string]vms.System{
		"FC":           vms.Firecracker,
		"kvm":          vms.QEMUKVM,
		"runc":         vms.Docker,
		"hypermachine": vms.AetherVM,
	} {
		got, err := vms.Parse(name)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	if got, err := vms.Parse("virtualbox"); err == nil {
		t.Errorf("Parse(%q) = %v, want an error", "virtualbox", got)
	}
}

func TestRankingIsDeterministicAndSorted(t *testing.T) {
	names := func(ps []vms.Profile) []string {
		var n []string
		for _, p := range ps {
			n = append(n, p.System.Name())
		}
		return n
	}
	r1, r2 := vms.Rank(), vms.Rank()
	if n1, n2 := names(r1), names(r2); !slices.Equal(n1, n2) {
		t.Errorf("two rankings differ: %v and %v", n1, n2)
	}
	for i := 0; i+1 < len(r1); i++ {
		if !(r1[i].Fitness() >= r1[i+1].Fitness()) {
			t.Errorf("%s (%v) ranked above %s (%v)", r1[i].System, r1[i].Fitness(), r1[i+1].System, r1[i+1].Fitness())
		}
	}
}

func TestAxisJudgmentsHoldDirectionally(t *testing.T) {
	aether := vms.ProfileOf(vms.AetherVM)
	fc := vms.ProfileOf(vms.Firecracker)
	qemu := vms.ProfileOf(vms.QEMUKVM)
	docker := vms.ProfileOf(vms.Docker)
	gvisor := vms.ProfileOf(vms.GVisor)
	for _, c := range []struct {
		holds bool
		why   string
	}{
		{fc.StartLatency > qemu.StartLatency, "a microVM cold-starts far faster than a full machine VM"},
		{qemu.Isolation > docker.Isolation, "hardware virtualization beats a shared host kernel for untrusted code"},
		{docker.Density > qemu.Density, "shared-kernel containers pack far denser than full VMs"},
		{aether.AgentControl > fc.AgentControl, "an MCP-native control plane beats a bring-your-own REST socket"},
		{fc.Isolation > gvisor.Isolation, "hardware isolation beats a userspace kernel for untrusted code"},
		{aether.Snapshotting >= qemu.Snapshotting, "first-class CoW branching is at least as strong as savevm snapshots"},
	} {
		if !c.holds {
			t.Error(c.why)
		}
	}
}

func TestComparisonDeltasAreConsistent(t *testing.T) {
	cmp := vms.Compare(vms.AetherVM, vms.Firecracker)
	sum := 0.0
	for _, d := range cmp.AxisDeltas {
		sum += d.Delta
	}
	if math.Abs(sum/5.0-cmp.FitnessDelta) >= 1e-9 {
		t.Errorf("axis deltas sum to %v, /5 = %v, but fitness delta is %v", sum, sum/5, cmp.FitnessDelta)
	}
	if !strings.Contains(cmp.String(), "aethervm vs firecracker") {
		t.Errorf("comparison text %q lacks %q", cmp.String(), "aethervm vs firecracker")
	}
}
