package vms

import (
	"strings"
	"testing"
)

func TestEveryPublishedFigureCitesItsSourceAndCaveat(t *testing.T) {
	if len(published) == 0 {
		t.Fatal("no published figures")
	}
	for _, p := range published {
		name := p.System.Name() + " " + p.Axis.Name()
		switch {
		case p.Source.Project == "" || p.Source.Document == "" || !strings.HasPrefix(p.Source.URL, "https://") || p.Source.Version == "":
			t.Errorf("%s: incomplete source %+v", name, p.Source)
		case p.Metric == "" || p.Conditions == "" || p.Caveat == "":
			t.Errorf("%s: a figure needs its metric, conditions and caveat", name)
		case p.Value <= 0:
			t.Errorf("%s: value %v", name, p.Value)
		case p.Axis == StartLatency && p.Unit != "ms", p.Axis == Density && p.Unit != "MiB":
			t.Errorf("%s: unit %q does not fit the axis", name, p.Unit)
		case p.Bound != "" && p.Bound != "<=":
			t.Errorf("%s: bound %q", name, p.Bound)
		}
	}
}

func TestASystemWithoutPublishedFiguresSaysWhy(t *testing.T) {
	for _, s := range All() {
		none := PublishedNone(s)
		if (len(PublishedFor(s)) == 0) == (none == "") {
			t.Errorf("%s: %d figures, and PublishedNone %q", s.Name(), len(PublishedFor(s)), none)
		}
	}
	if !strings.Contains(PublishedNone(AetherVM), "authors' judgment alone") {
		t.Errorf("aethervm: %q", PublishedNone(AetherVM))
	}
}

// A figure of a different quantity says which, how wide the gap to
// agentic-eval's quantity can be, and why; Firecracker's two are such
// figures, Kata's are not.
func TestAFigureOfAnotherQuantityNamesItAndItsWidestGap(t *testing.T) {
	want := map[string]bool{"firecracker start-latency": true, "firecracker density": true, "kata start-latency": false, "kata density": false}
	for _, p := range published {
		name := p.System.Name() + " " + p.Axis.Name()
		if p.IsBound() != want[name] {
			t.Errorf("%s: bound of another quantity %v, want %v", name, p.IsBound(), want[name])
		}
		if p.IsBound() && (p.MaxGap <= 0 || p.GapBasis == "") {
			t.Errorf("%s bounds the %s without a gap and its basis (%v, %q)", name, p.BoundOf, p.MaxGap, p.GapBasis)
		}
		if !p.IsBound() && (p.MaxGap != 0 || p.GapBasis != "") {
			t.Errorf("%s is a value of agentic-eval's quantity, yet has a gap", name)
		}
	}
}

func TestSoftwareEmulationOrdersBetweenASharedKernelAndAUserspaceKernel(t *testing.T) {
	got := Boundaries()
	want := []Boundary{BoundarySharedKernel, BoundarySoftwareEmulation, BoundaryUserspaceKernel, BoundaryHardware}
	if len(got) != len(want) {
		t.Fatalf("boundaries %v", got)
	}
	for i := range want {
		if got[i] != want[i] || got[i].Strength() != i+1 || !got[i].Valid() {
			t.Errorf("class %d: %s strength %d, want %s", i, got[i], got[i].Strength(), want[i])
		}
	}
	if NeedsKVM(Docker) || NeedsKVM(GVisor) || !NeedsKVM(Firecracker) || !NeedsKVM(QEMUKVM) {
		t.Error("NeedsKVM must hold for the hardware-virtualized systems only")
	}
}
