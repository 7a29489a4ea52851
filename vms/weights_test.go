package vms_test

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/vms"
)

func TestBalancedReproducesFitnessBitForBit(t *testing.T) {
	for _, s := range vms.All() {
		p := vms.ProfileOf(s)
		got, want := vms.Balanced().Fitness(p), p.Fitness()
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("%s: balanced fitness %v (%x), Fitness() %v (%x)", s, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	}
	bal, err := vms.LookupPreset("balanced")
	if err != nil || bal.Weights != vms.Balanced() {
		t.Errorf("preset balanced = %v, %v; want Balanced()", bal.Weights, err)
	}
	var names, balNames []string
	for _, p := range vms.Rank() {
		names = append(names, p.System.Name())
	}
	for _, p := range vms.RankWeighted(vms.Balanced()) {
		balNames = append(balNames, p.System.Name())
	}
	if !slices.Equal(names, balNames) {
		t.Errorf("RankWeighted(Balanced()) = %v, Rank() = %v", balNames, names)
	}
	c, cw := vms.Compare(vms.GVisor, vms.Docker), vms.CompareWeighted(vms.GVisor, vms.Docker, vms.Balanced())
	if math.Float64bits(c.FitnessDelta) != math.Float64bits(cw.FitnessDelta) {
		t.Errorf("balanced comparison delta %v, unweighted %v", cw.FitnessDelta, c.FitnessDelta)
	}
}

func TestPresetsAreValidNamedAndExplained(t *testing.T) {
	ps := vms.Presets()
	if len(ps) < 4 || ps[0].Name != "balanced" {
		t.Fatalf("presets %v: want balanced first and at least three workload presets", vms.PresetNames())
	}
	seen := map[string]bool{}
	for i, p := range ps {
		if err := p.Weights.Validate(); err != nil {
			t.Errorf("preset %s: %v", p.Name, err)
		}
		if seen[p.Name] || p.Name != strings.ToLower(p.Name) || strings.ContainsAny(p.Name, " ,=") {
			t.Errorf("preset name %q is duplicated or not a plain lowercase word", p.Name)
		}
		seen[p.Name] = true
		if p.Rationale == "" || strings.Contains(p.Rationale, "\n") {
			t.Errorf("preset %s: rationale %q is not one line", p.Name, p.Rationale)
		}
		if vms.PresetNames()[i] != p.Name {
			t.Errorf("PresetNames()[%d] = %q, want %q", i, vms.PresetNames()[i], p.Name)
		}
		got, err := vms.LookupPreset(strings.ToUpper(p.Name))
		if err != nil || got != p {
			t.Errorf("LookupPreset(%q) = %v, %v", strings.ToUpper(p.Name), got, err)
		}
		back, err := vms.ParseWeights(p.Weights.String())
		if err != nil || back != p.Weights {
			t.Errorf("preset %s weights %q parse back as %v, %v", p.Name, p.Weights, back, err)
		}
	}
	ps[0].Name = "changed"
	if vms.Presets()[0].Name != "balanced" {
		t.Error("changing the returned slice changed the presets")
	}
	_, err := vms.LookupPreset("speedy")
	if err == nil || !strings.Contains(err.Error(), `"speedy"`) {
		t.Fatalf("LookupPreset(speedy) error = %v, want one naming the input", err)
	}
	for _, n := range vms.PresetNames() {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("error %q does not list preset %s", err, n)
		}
	}
}

func TestUntrustedCodePresetFavoursIsolation(t *testing.T) {
	p, err := vms.LookupPreset("untrusted-code")
	if err != nil {
		t.Fatal(err)
	}
	pos := func(ps []vms.Profile, s vms.System) int {
		return slices.IndexFunc(ps, func(p vms.Profile) bool { return p.System == s })
	}
	bal, unt := vms.Rank(), vms.RankWeighted(p.Weights)
	if !(pos(unt, vms.QEMUKVM) < pos(bal, vms.QEMUKVM)) {
		t.Errorf("qemu-kvm (isolation 0.90) should rise under untrusted-code: %d -> %d", pos(bal, vms.QEMUKVM), pos(unt, vms.QEMUKVM))
	}
	if pos(unt, vms.Docker) != len(unt)-1 {
		t.Errorf("docker (isolation 0.35) should rank last under untrusted-code, is at %d", pos(unt, vms.Docker))
	}
}

func TestWeightingOneAxisRanksByThatAxisStably(t *testing.T) {
	w, err := vms.ParseWeights("start-latency=0,density=0,isolation=1,snapshotting=0,agent-control=0")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range vms.RankWeighted(w) {
		if w.Fitness(p) != p.Isolation {
			t.Errorf("%s: fitness %v under isolation alone, isolation is %v", p.System, w.Fitness(p), p.Isolation)
		}
		got = append(got, p.System.Name())
	}
	// Isolation: qemu-kvm 0.9; firecracker, cloud-hypervisor, kata 0.85 (All
	// order); aethervm 0.8; gvisor 0.6; docker 0.35.
	want := []string{"qemu-kvm", "firecracker", "cloud-hypervisor", "kata", "aethervm", "gvisor", "docker"}
	if !slices.Equal(got, want) {
		t.Errorf("ranked by isolation: %v, want %v", got, want)
	}
}

func TestOnlyWeightRatiosMatter(t *testing.T) {
	a, _ := vms.ParseWeights("start-latency=2,isolation=3")
	b, _ := vms.ParseWeights("start-latency=20,density=10,isolation=30,snapshotting=10,agent-control=10")
	for _, p := range vms.Profiles() {
		if d := math.Abs(a.Fitness(p) - b.Fitness(p)); d > 1e-12 {
			t.Errorf("%s: %v vs %v", p.System, a.Fitness(p), b.Fitness(p))
		}
	}
	n := b.Normalized()
	sum := 0.0
	for _, v := range n {
		sum += v
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("normalized weights %v sum to %v", n, sum)
	}
}

// A weighted mean lies between the lowest and the highest score it weighs,
// whatever the scale of the weights.
func TestWeightedFitnessStaysWithinTheScores(t *testing.T) {
	for _, spec := range []string{
		"start-latency=1e-300,density=0,isolation=0,snapshotting=0,agent-control=0",
		"start-latency=5e-324,density=0,isolation=0,snapshotting=0,agent-control=0",
		"start-latency=1e-320,density=1e-320,isolation=0,snapshotting=0,agent-control=0",
		"start-latency=1e300,density=1e300",
		"isolation=1e-310",
	} {
		w, err := vms.ParseWeights(spec)
		if err != nil {
			t.Errorf("ParseWeights(%q): %v", spec, err)
			continue
		}
		for _, p := range vms.Profiles() {
			lo, hi := 1.0, 0.0
			for i, s := range p.Scores() {
				if w[i] > 0 {
					lo, hi = min(lo, s), max(hi, s)
				}
			}
			if f := w.Fitness(p); !(f >= lo-1e-12 && f <= hi+1e-12) {
				t.Errorf("%s under %s: fitness %v outside [%v, %v]", p.System, spec, f, lo, hi)
			}
		}
	}
}

func TestParseWeights(t *testing.T) {
	for _, c := range []struct {
		in   string
		want vms.Weights
	}{
		{"start-latency=2,isolation=3", vms.Weights{2, 1, 3, 1, 1}},
		{" isolation = 3 ", vms.Weights{1, 1, 3, 1, 1}},
		{"START_LATENCY=0.5,agent_control=0", vms.Weights{0.5, 1, 1, 1, 0}},
		{"start=4,snapshot=2", vms.Weights{4, 1, 1, 2, 1}},
		{"density=0", vms.Weights{1, 0, 1, 1, 1}},
	} {
		got, err := vms.ParseWeights(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseWeights(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestParseWeightsErrorsSayWhatIsWrong(t *testing.T) {
	for in, mention := range map[string]string{
		"":                        "empty",
		"   ":                     "empty",
		"isolation":               `"isolation"`,
		"isolation=":              `"isolation="`,
		"=3":                      `"=3"`,
		"isolation=3,":            `""`,
		"speed=3":                 `"speed"`,
		"isolation=-1":            `"-1"`,
		"isolation=abc":           `"abc"`,
		"isolation=NaN":           `"NaN"`,
		"isolation=+Inf":          `"+Inf"`,
		"isolation=1e999":         `"1e999"`,
		"isolation=1,ISOLATION=2": "twice",
		"start-latency=1,start=2": "twice",
		"start-latency=0,density=0,isolation=0,snapshotting=0,agent-control=0": "zero",
	} {
		_, err := vms.ParseWeights(in)
		if err == nil {
			t.Errorf("ParseWeights(%q) succeeded", in)
			continue
		}
		if !strings.Contains(err.Error(), mention) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseWeights(%q) error %q: want one line mentioning %s", in, err, mention)
		}
	}
	if err := (vms.Weights{1, 1, math.Inf(1), 1, 1}).Validate(); err == nil {
		t.Error("Validate accepted an infinite weight")
	}
	if err := (vms.Weights{1, 1, -0.5, 1, 1}).Validate(); err == nil {
		t.Error("Validate accepted a negative weight")
	}
}

func TestWeightsJSON(t *testing.T) {
	w := vms.Weights{2, 1, 3, 1, 0.5}
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"start_latency":2,"density":1,"isolation":3,"snapshotting":1,"agent_control":0.5}` {
		t.Errorf("weights JSON = %s", b)
	}
	var back vms.Weights
	if err := json.Unmarshal(b, &back); err != nil || back != w {
		t.Errorf("decode %s = %v, %v", b, back, err)
	}
	if err := json.Unmarshal([]byte(`{"speed":1}`), &back); err == nil {
		t.Error("decoding an unknown axis succeeded")
	}
	c := vms.CompareWeighted(vms.AetherVM, vms.Docker, w)
	m := jsonObject(t, mustMarshal(t, c))
	if _, ok := m["weights"]; !ok {
		t.Error("a weighted comparison's JSON does not say its weights")
	}
	if _, ok := jsonObject(t, mustMarshal(t, vms.Compare(vms.AetherVM, vms.Docker)))["weights"]; ok {
		t.Error("an unweighted comparison's JSON carries weights: serde's shape has none")
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
