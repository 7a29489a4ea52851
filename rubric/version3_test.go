package rubric

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Under rubric/3 a published figure of a different quantity is scored as
// the interval its bound allows: from the figure's own score down to the
// score of the figure plus the widest gap; a figure of the same quantity
// stays a point.
func TestPublishedBoundsScoreAsIntervalsUnderRubric3(t *testing.T) {
	mid := func(lo, hi float64) float64 { return round((lo + hi) / 2) }
	cases := []struct {
		name      string
		sys       vms.System
		axis      vms.Axis
		bound     bool
		lo, hi    float64
		quantity  string
		pointWant float64
	}{
		{"firecracker's time to guest init bounds the time to a first result", vms.Firecracker, vms.StartLatency, true, LatencyScore(125 + 1000), LatencyScore(125), "guest's init", 0},
		{"firecracker's VMM memory bounds a sandbox's", vms.Firecracker, vms.Density, true, DensityScore(5 + 128), DensityScore(5), "VMM's own threads", 0},
		{"kata's launch to workload is the same quantity", vms.Kata, vms.StartLatency, false, 0, 0, "", LatencyScore(710)},
		{"kata's PSS per container is the same quantity", vms.Kata, vms.Density, false, 0, 0, "", DensityScore(122832.40 / 1024)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got *AxisScore
			for _, a := range PublishedScoresWith(c.sys, Options{Version: "rubric/3"}) {
				if a.Axis == c.axis {
					got = &a
				}
			}
			if got == nil {
				t.Fatal("no published score")
			}
			if !c.bound {
				if got.Bound || got.Lo != nil || got.Score != c.pointWant {
					t.Errorf("%+v; want the point %.3f", *got, c.pointWant)
				}
				return
			}
			if !got.Bound || got.Lo == nil || got.Hi == nil {
				t.Fatalf("%+v; want a bound with an interval", *got)
			}
			if *got.Lo != c.lo || *got.Hi != c.hi || got.Score != mid(c.lo, c.hi) {
				t.Errorf("score %.3f [%.3f, %.3f]; want %.3f [%.3f, %.3f]", got.Score, *got.Lo, *got.Hi, mid(c.lo, c.hi), c.lo, c.hi)
			}
			if !strings.Contains(got.Basis, "a bound, not a value") || !strings.Contains(got.Basis, c.quantity) {
				t.Errorf("basis %q does not say it is a bound of the %s", got.Basis, c.quantity)
			}
		})
	}
	if got := PublishedScores(vms.Firecracker); len(got) == 0 || !got[0].Bound {
		t.Errorf("the current rubric scores firecracker's bound as a point: %+v", got)
	}
}

// tcgVariant is the qemu-kvm/tcg variant recorded on this kind of host,
// and a representative variant of the same run.
func recordedVariants(t *testing.T) (tcg, gvisor results.VariantResult) {
	t.Helper()
	res, err := results.ReadResultsFile("../testdata/runs/default-run-3-new.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, vr := range res.Systems {
		switch vr.Variant {
		case "qemu-kvm/tcg":
			tcg = vr
		case "gvisor/systrap":
			gvisor = vr
		}
	}
	if tcg.Variant == "" || gvisor.Variant == "" {
		t.Fatal("the recorded run lacks qemu-kvm/tcg or gvisor/systrap")
	}
	return tcg, gvisor
}

func TestAnEmulatedVariantCarriesItsCaveatOnEveryScore(t *testing.T) {
	tcg, gvisor := recordedVariants(t)
	for _, c := range []struct {
		name     string
		vr       results.VariantResult
		emulated bool
	}{
		{"qemu-kvm/tcg under TCG", tcg, true},
		{"gvisor/systrap", gvisor, false},
		{"accelerator detail alone", results.VariantResult{System: vms.QEMUKVM, Variant: "qemu-kvm/tcg", Fingerprint: driver.Fingerprint{Available: true, Details: map[string]string{"accelerator": "tcg"}}}, true},
		{"TCG warning alone", results.VariantResult{System: vms.QEMUKVM, Variant: "qemu-kvm/tcg", Fingerprint: driver.Fingerprint{Available: true, Warnings: tcg.Fingerprint.Warnings}}, true},
		{"KVM accelerator", results.VariantResult{System: vms.QEMUKVM, Variant: "qemu-kvm/kvm", Fingerprint: driver.Fingerprint{Available: true, Details: map[string]string{"accelerator": "kvm"}}}, false},
	} {
		for _, v := range []string{"rubric/2", "rubric/3"} {
			t.Run(c.name+" "+v, func(t *testing.T) {
				s := ScoreWith(c.vr, Options{Version: v})
				if (s.Emulated != "") != c.emulated {
					t.Fatalf("emulated %q, want emulated %v", s.Emulated, c.emulated)
				}
				if len(s.Axes) == 0 {
					t.Fatal("no axis scored")
				}
				for _, a := range s.Axes {
					has := a.Emulated != "" && strings.Contains(a.Basis, "under TCG software emulation ("+c.vr.Variant+")")
					if has != c.emulated {
						t.Errorf("%s: emulated %q, basis %q; want the caveat %v", a.Axis.Name(), a.Emulated, a.Basis, c.emulated)
					}
				}
			})
		}
	}
}

// Isolation under TCG is software emulation from rubric/3 on, below a
// userspace kernel and above a shared kernel; rubric/2 keeps what it
// scored, the hardware virtualization the driver declared.
func TestIsolationUnderTCGIsSoftwareEmulationFromRubric3(t *testing.T) {
	tcg, _ := recordedVariants(t)
	bare := results.VariantResult{System: vms.QEMUKVM, Variant: "qemu-kvm/tcg",
		Fingerprint:  driver.Fingerprint{Available: true, Details: map[string]string{"accelerator": "tcg"}},
		Capabilities: driver.Capabilities{Boundary: vms.BoundaryHardware}}
	declaredEmulation := bare
	declaredEmulation.Capabilities.Boundary = vms.BoundarySoftwareEmulation
	for _, c := range []struct {
		name    string
		vr      results.VariantResult
		version string
		want    float64
		class   string
	}{
		// The recorded run has one low-severity finding that reaches the host.
		{"recorded run, rubric/2", tcg, "rubric/2", IsolationBase[vms.BoundaryHardware] + MinimalSurfaceBonus - IsolationPenalty[vms.SeverityLow], "hardware-virtualization boundary (declared by the driver"},
		{"recorded run, rubric/3", tcg, "rubric/3", IsolationBase[vms.BoundarySoftwareEmulation] - IsolationPenalty[vms.SeverityLow], "software-emulation boundary (the run's accelerator is TCG"},
		{"declared hardware without facts, rubric/2", bare, "rubric/2", IsolationBase[vms.BoundaryHardware], "boundary hardware-virtualization (declared by the driver)"},
		{"declared hardware without facts, rubric/3", bare, "rubric/3", IsolationBase[vms.BoundarySoftwareEmulation], "boundary software-emulation (the run's accelerator is TCG"},
		{"declared software emulation, rubric/2", declaredEmulation, "rubric/2", IsolationBase[vms.BoundaryHardware], "scored as hardware virtualization: rubric/2 has no software-emulation class"},
		{"declared software emulation, rubric/3", declaredEmulation, "rubric/3", IsolationBase[vms.BoundarySoftwareEmulation], "boundary software-emulation (declared by the driver)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, ok := ScoreWith(c.vr, Options{Version: c.version}).Axis(vms.Isolation)
			if !ok {
				t.Fatal("no isolation score")
			}
			if math.Abs(a.Score-c.want) > 1e-9 || a.Provenance != Declared || !strings.Contains(a.Basis, c.class) {
				t.Errorf("%+v; want declared %.2f, basis with %q", a, c.want, c.class)
			}
		})
	}
	if !(IsolationBase[vms.BoundarySharedKernel] < IsolationBase[vms.BoundarySoftwareEmulation] &&
		IsolationBase[vms.BoundarySoftwareEmulation] < IsolationBase[vms.BoundaryUserspaceKernel]) {
		t.Error("software emulation must score between a shared kernel and a userspace kernel")
	}
	if vms.BoundarySoftwareEmulation.Strength() >= vms.BoundaryUserspaceKernel.Strength() || vms.BoundarySoftwareEmulation.Strength() <= vms.BoundarySharedKernel.Strength() {
		t.Error("software emulation must order between a shared kernel and a userspace kernel, as it scores")
	}
}

// rubric2Golden is what rubric/2 scored for every available variant of
// the recorded runs under docs/, and for the published figures, before
// rubric/3 existed (testdata/rubric2-scores.json, generated once from the
// rubric/2 code).
type rubric2Golden struct {
	Variants []struct {
		Document string       `json:"document"`
		Variant  string       `json:"variant"`
		Axes     []goldenAxis `json:"axes"`
	} `json:"variants"`
	Published map[string][]goldenAxis `json:"published"`
}

type goldenAxis struct {
	Axis       string   `json:"axis"`
	Score      float64  `json:"score"`
	Provenance string   `json:"provenance"`
	Lo         *float64 `json:"ci_lo"`
	Hi         *float64 `json:"ci_hi"`
}

func sameAxes(t *testing.T, what string, got []AxisScore, want []goldenAxis) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d axes, want %d", what, len(got), len(want))
	}
	eq := func(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	for i, w := range want {
		g := got[i]
		if g.Axis.Name() != w.Axis || g.Score != w.Score || string(g.Provenance) != w.Provenance || !eq(g.Lo, w.Lo) || !eq(g.Hi, w.Hi) {
			t.Errorf("%s %s: %.3f %s [%v %v]; rubric/2 scored %.3f %s", what, w.Axis, g.Score, g.Provenance, g.Lo, g.Hi, w.Score, w.Provenance)
		}
	}
}

func TestRubric2StillScoresRecordedRunsAsItDid(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "rubric2-scores.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g rubric2Golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	docs := map[string]*results.Results{}
	for _, v := range g.Variants {
		res, ok := docs[v.Document]
		if !ok {
			if res, err = results.ReadResultsFile(filepath.Join("..", "testdata", "runs", v.Document)); err != nil {
				t.Fatal(err)
			}
			docs[v.Document] = res
		}
		vr := res.Variant(v.Variant)
		if vr == nil {
			t.Fatalf("%s has no %s", v.Document, v.Variant)
		}
		s, _ := ScoreWithIntervals(*vr, Options{Version: "rubric/2"})
		sameAxes(t, v.Document+" "+v.Variant, s.Axes, v.Axes)
	}
	for _, sys := range vms.All() {
		sameAxes(t, "published "+sys.Name(), PublishedScoresWith(sys, Options{Version: "rubric/2"}), g.Published[sys.Name()])
	}
}
