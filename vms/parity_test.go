package vms_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/vms"
)

// referenceScores are the reference's 35 numbers, typed from vms.rs, in axis
// order: start-latency, density, isolation, snapshotting, agent-control.
var referenceScores = map[vms.System][5]float64{
	vms.AetherVM:        {0.8, 0.85, 0.8, 0.9, 0.95},
	vms.Firecracker:     {0.9, 0.9, 0.85, 0.8, 0.5},
	vms.CloudHypervisor: {0.85, 0.8, 0.85, 0.8, 0.5},
	vms.GVisor:          {0.85, 0.85, 0.6, 0.4, 0.55},
	vms.Kata:            {0.65, 0.6, 0.85, 0.4, 0.6},
	vms.QEMUKVM:         {0.4, 0.45, 0.9, 0.85, 0.45},
	vms.Docker:          {0.95, 0.95, 0.35, 0.4, 0.6},
}

// referenceAliases is the reference's from_name table.
var referenceAliases = map[string]vms.System{
	"aethervm": vms.AetherVM, "aether": vms.AetherVM, "hypermachine": vms.AetherVM,
	"firecracker": vms.Firecracker, "fc": vms.Firecracker,
	"cloud-hypervisor": vms.CloudHypervisor, "cloudhv": vms.CloudHypervisor, "chv": vms.CloudHypervisor,
	"gvisor": vms.GVisor, "runsc": vms.GVisor,
	"kata": vms.Kata, "kata-containers": vms.Kata,
	"qemu-kvm": vms.QEMUKVM, "qemu": vms.QEMUKVM, "kvm": vms.QEMUKVM,
	"docker": vms.Docker, "runc": vms.Docker, "containers": vms.Docker,
}

func TestAllIsTheReferenceOrderAndNames(t *testing.T) {
	want := []string{"aethervm", "firecracker", "cloud-hypervisor", "gvisor", "kata", "qemu-kvm", "docker"}
	var got []string
	for _, s := range vms.All() {
		got = append(got, s.Name())
		if s.String() != s.Name() {
			t.Errorf("%v: String() %q differs from Name() %q", s, s.String(), s.Name())
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("All() names = %v, want %v", got, want)
	}
}

func TestEveryScoreIsTheReferenceNumber(t *testing.T) {
	if len(referenceScores) != len(vms.All()) {
		t.Fatalf("table covers %d systems, catalog has %d", len(referenceScores), len(vms.All()))
	}
	for _, s := range vms.All() {
		p := vms.ProfileOf(s)
		if p.System != s {
			t.Errorf("ProfileOf(%v).System = %v", s, p.System)
		}
		want := referenceScores[s]
		for i, ax := range vms.Axes() {
			if got := p.Score(ax); got != want[i] {
				t.Errorf("%s %s = %v, reference says %v", s, ax, got, want[i])
			}
		}
		if p.Scores() != want {
			t.Errorf("%s Scores() = %v, want %v", s, p.Scores(), want)
		}
	}
}

func TestFitnessIsTheMeanSummedInReferenceOrder(t *testing.T) {
	for s, sc := range referenceScores {
		want := (sc[0] + sc[1] + sc[2] + sc[3] + sc[4]) / 5.0
		if got := vms.ProfileOf(s).Fitness(); got != want {
			t.Errorf("%s fitness = %v, want %v", s, got, want)
		}
	}
}

func TestFullRankingWithFitness(t *testing.T) {
	want := []string{
		"aethervm 0.86", "firecracker 0.79", "cloud-hypervisor 0.76",
		"gvisor 0.65", "docker 0.65", "kata 0.62", "qemu-kvm 0.61",
	}
	var got []string
	for _, p := range vms.Rank() {
		got = append(got, fmt.Sprintf("%s %.2f", p.System, p.Fitness()))
	}
	if !slices.Equal(got, want) {
		t.Errorf("ranking:\n got %v\nwant %v", got, want)
	}
}

func TestGVisorStaysAheadOfDockerOnTheirTie(t *testing.T) {
	g, d := vms.ProfileOf(vms.GVisor), vms.ProfileOf(vms.Docker)
	if g.Fitness() != d.Fitness() {
		t.Fatalf("gvisor %v and docker %v no longer tie: the reference's tie is gone", g.Fitness(), d.Fitness())
	}
	pos := map[vms.System]int{}
	for i, p := range vms.Rank() {
		pos[p.System] = i
	}
	if pos[vms.GVisor] >= pos[vms.Docker] {
		t.Errorf("gvisor at %d, docker at %d: a stable sort keeps gvisor (earlier in All) first", pos[vms.GVisor], pos[vms.Docker])
	}
}

func TestProfilesAreInAllOrderAndIndependentCopies(t *testing.T) {
	ps := vms.Profiles()
	for i, s := range vms.All() {
		if ps[i].System != s {
			t.Errorf("Profiles()[%d] = %v, want %v", i, ps[i].System, s)
		}
	}
	ps[0].Evidence[0] = "changed"
	if vms.ProfileOf(ps[0].System).Evidence[0] == "changed" {
		t.Error("changing a returned profile's evidence changed the catalog")
	}
}

func TestProfileStringIsTheReferenceFormat(t *testing.T) {
	// Computed by hand from the reference's format string
	// "{}: fitness {:.2} (start {:.2}, density {:.2}, isolation {:.2}, snapshot {:.2}, agent-control {:.2})".
	want := map[vms.System]string{
		vms.AetherVM:        "aethervm: fitness 0.86 (start 0.80, density 0.85, isolation 0.80, snapshot 0.90, agent-control 0.95)",
		vms.Firecracker:     "firecracker: fitness 0.79 (start 0.90, density 0.90, isolation 0.85, snapshot 0.80, agent-control 0.50)",
		vms.CloudHypervisor: "cloud-hypervisor: fitness 0.76 (start 0.85, density 0.80, isolation 0.85, snapshot 0.80, agent-control 0.50)",
		vms.GVisor:          "gvisor: fitness 0.65 (start 0.85, density 0.85, isolation 0.60, snapshot 0.40, agent-control 0.55)",
		vms.Kata:            "kata: fitness 0.62 (start 0.65, density 0.60, isolation 0.85, snapshot 0.40, agent-control 0.60)",
		vms.QEMUKVM:         "qemu-kvm: fitness 0.61 (start 0.40, density 0.45, isolation 0.90, snapshot 0.85, agent-control 0.45)",
		vms.Docker:          "docker: fitness 0.65 (start 0.95, density 0.95, isolation 0.35, snapshot 0.40, agent-control 0.60)",
	}
	for _, s := range vms.All() {
		if got := vms.ProfileOf(s).String(); got != want[s] {
			t.Errorf("%s:\n got %q\nwant %q", s, got, want[s])
		}
	}
}

func TestComparisonStringIsTheReferenceFormat(t *testing.T) {
	// "{} vs {}: fitness delta {:+.2}\n" then "  {axis}: {d:+.2}\n" per axis.
	for _, c := range []struct {
		a, b vms.System
		want string
	}{
		{vms.AetherVM, vms.Firecracker, "aethervm vs firecracker: fitness delta +0.07\n" +
			"  start-latency: -0.10\n  density: -0.05\n  isolation: -0.05\n  snapshotting: +0.10\n  agent-control: +0.45\n"},
		{vms.GVisor, vms.Docker, "gvisor vs docker: fitness delta +0.00\n" +
			"  start-latency: -0.10\n  density: -0.10\n  isolation: +0.25\n  snapshotting: +0.00\n  agent-control: -0.05\n"},
		{vms.Docker, vms.QEMUKVM, "docker vs qemu-kvm: fitness delta +0.04\n" +
			"  start-latency: +0.55\n  density: +0.50\n  isolation: -0.55\n  snapshotting: -0.45\n  agent-control: +0.15\n"},
		{vms.Firecracker, vms.Firecracker, "firecracker vs firecracker: fitness delta +0.00\n" +
			"  start-latency: +0.00\n  density: +0.00\n  isolation: +0.00\n  snapshotting: +0.00\n  agent-control: +0.00\n"},
	} {
		if got := vms.Compare(c.a, c.b).String(); got != c.want {
			t.Errorf("Compare(%s, %s):\n got %q\nwant %q", c.a, c.b, got, c.want)
		}
	}
}

func TestComparisonFieldsMatchTheReference(t *testing.T) {
	for _, a := range vms.All() {
		for _, b := range vms.All() {
			c := vms.Compare(a, b)
			pa, pb := vms.ProfileOf(a), vms.ProfileOf(b)
			if c.A.System != a || c.B.System != b {
				t.Fatalf("Compare(%s, %s) holds %s and %s", a, b, c.A.System, c.B.System)
			}
			if c.FitnessDelta != pa.Fitness()-pb.Fitness() {
				t.Errorf("%s vs %s: fitness delta %v, want %v", a, b, c.FitnessDelta, pa.Fitness()-pb.Fitness())
			}
			if len(c.AxisDeltas) != 5 {
				t.Fatalf("%s vs %s: %d axis deltas", a, b, len(c.AxisDeltas))
			}
			for i, ax := range vms.Axes() {
				d := c.AxisDeltas[i]
				if d.Axis != ax || d.Delta != pa.Score(ax)-pb.Score(ax) {
					t.Errorf("%s vs %s: delta %d = %v %v, want %v %v", a, b, i, d.Axis, d.Delta, ax, pa.Score(ax)-pb.Score(ax))
				}
			}
		}
	}
}

func TestAxesInReferenceOrderWithNamesAndMeanings(t *testing.T) {
	want := []string{"start-latency", "density", "isolation", "snapshotting", "agent-control"}
	jsonNames := []string{"start_latency", "density", "isolation", "snapshotting", "agent_control"}
	for i, ax := range vms.Axes() {
		if ax.Name() != want[i] || ax.String() != want[i] || ax.JSONName() != jsonNames[i] {
			t.Errorf("axis %d: %q/%q/%q, want %q/%q", i, ax.Name(), ax.String(), ax.JSONName(), want[i], jsonNames[i])
		}
		if ax.Meaning() == "" || strings.Contains(ax.Meaning(), "\n") {
			t.Errorf("axis %s: meaning %q is not one line", ax, ax.Meaning())
		}
		for _, spelling := range []string{ax.Name(), ax.JSONName(), ax.ShortName(), strings.ToUpper(ax.Name())} {
			if got, err := vms.ParseAxis(spelling); err != nil || got != ax {
				t.Errorf("ParseAxis(%q) = %v, %v; want %v", spelling, got, err, ax)
			}
		}
	}
	if _, err := vms.ParseAxis("speed"); err == nil || !strings.Contains(err.Error(), `"speed"`) || !strings.Contains(err.Error(), "agent-control") {
		t.Errorf("ParseAxis(speed) error = %v: want one naming the input and the valid axes", err)
	}
}

// jsonObject decodes b into a map, failing the test on error.
func jsonObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return m
}

func TestProfileJSONUsesSerdeFieldNames(t *testing.T) {
	for _, s := range vms.All() {
		p := vms.ProfileOf(s)
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal %s: %v", s, err)
		}
		m := jsonObject(t, b)
		keys := slices.Sorted(maps.Keys(m))
		want := []string{"agent_control", "density", "evidence", "isolation", "snapshotting", "start_latency", "vm"}
		if !slices.Equal(keys, want) {
			t.Fatalf("%s JSON keys = %v, want %v", s, keys, want)
		}
		if m["vm"] != s.Name() {
			t.Errorf("vm = %v, want the canonical name %q", m["vm"], s.Name())
		}
		for _, ax := range vms.Axes() {
			if m[ax.JSONName()] != p.Score(ax) {
				t.Errorf("%s %s = %v, want %v", s, ax.JSONName(), m[ax.JSONName()], p.Score(ax))
			}
		}
		ev, _ := m["evidence"].([]any)
		if len(ev) != len(p.Evidence) {
			t.Errorf("%s evidence has %d entries, want %d", s, len(ev), len(p.Evidence))
		}
		var back vms.Profile
		if err := json.Unmarshal(b, &back); err != nil || back.System != s || back.Scores() != p.Scores() {
			t.Errorf("%s does not decode back: %+v, %v", s, back, err)
		}
	}
}

func TestComparisonJSONUsesSerdeFieldNames(t *testing.T) {
	c := vms.Compare(vms.AetherVM, vms.Firecracker)
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	m := jsonObject(t, b)
	if keys := slices.Sorted(maps.Keys(m)); !slices.Equal(keys, []string{"a", "axis_deltas", "b", "fitness_delta"}) {
		t.Fatalf("comparison JSON keys = %v, want a, axis_deltas, b, fitness_delta", keys)
	}
	if a := m["a"].(map[string]any); a["vm"] != "aethervm" {
		t.Errorf("a.vm = %v", a["vm"])
	}
	if b := m["b"].(map[string]any); b["vm"] != "firecracker" {
		t.Errorf("b.vm = %v", b["vm"])
	}
	if m["fitness_delta"] != c.FitnessDelta {
		t.Errorf("fitness_delta = %v, want %v", m["fitness_delta"], c.FitnessDelta)
	}
	deltas, _ := m["axis_deltas"].([]any)
	if len(deltas) != 5 {
		t.Fatalf("axis_deltas = %v, want 5 pairs", m["axis_deltas"])
	}
	for i, ax := range vms.Axes() {
		pair, _ := deltas[i].([]any)
		if len(pair) != 2 || pair[0] != ax.Name() || pair[1] != c.AxisDeltas[i].Delta {
			t.Errorf("axis_deltas[%d] = %v, want [%q, %v]", i, deltas[i], ax.Name(), c.AxisDeltas[i].Delta)
		}
	}
}

func TestParseAcceptsEveryReferenceAliasInAnyCase(t *testing.T) {
	for name, want := range referenceAliases {
		for _, spelling := range []string{name, strings.ToUpper(name), strings.ToUpper(name[:1]) + name[1:]} {
			if got, err := vms.Parse(spelling); err != nil || got != want {
				t.Errorf("Parse(%q) = %v, %v; want %v", spelling, got, err, want)
			}
		}
	}
	// Aliases() plus the canonical names are exactly the reference's table.
	got := map[string]vms.System{}
	for _, s := range vms.All() {
		got[s.Name()] = s
		for _, a := range s.Aliases() {
			got[a] = s
		}
	}
	if !maps.Equal(got, referenceAliases) {
		t.Errorf("names and Aliases() = %v, want the reference's %v", got, referenceAliases)
	}
}

// asciiLower is the reference's to_ascii_lowercase.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func TestParseAcceptsNothingElse(t *testing.T) {
	rejected := []string{
		"", " ", "virtualbox", "vmware", "hyper-v", "lxc", "podman", "xen",
		"cloud_hypervisor", "cloudhypervisor", "qemu_kvm", "qemukvm", "kata_containers",
		"aether-vm", "fire cracker", "g-visor", "katacontainers", "container", "runc ", " fc", "fc\n",
		"fc\x00", "ｆｃ", // fullwidth letters
		// The reference lowers ASCII only (to_ascii_lowercase): the Kelvin
		// sign U+212A, whose Unicode lower case is an ASCII 'k', names nothing
		// there.
		"\u212Avm", "\u212Aata", "\u212AATA-CONTAINERS", "qemu-\u212Avm",
	}
	for _, s := range rejected {
		if got, err := vms.Parse(s); err == nil {
			t.Errorf("Parse(%+q) = %v, want an error: the reference's from_name returns None", s, got)
		}
	}
}

func TestUnknownSystemErrorNamesInputListsValidAndSuggestsNearest(t *testing.T) {
	for input, nearest := range map[string]string{
		"firecraker":  "firecracker",
		"qemu-kv":     "qemu-kvm",
		"gvisr":       "gvisor",
		"fx":          "fc",
		"DOCKR":       "docker",
		"kata-contnr": "kata-containers",
	} {
		_, err := vms.Parse(input)
		var ue *vms.UnknownSystemError
		if !errors.As(err, &ue) {
			t.Fatalf("Parse(%q) error %v is not an *UnknownSystemError", input, err)
		}
		if ue.Name != input || ue.Nearest != nearest {
			t.Errorf("Parse(%q): Name %q Nearest %q, want %q %q", input, ue.Name, ue.Nearest, input, nearest)
		}
		msg := err.Error()
		if !strings.Contains(msg, fmt.Sprintf("%q", input)) {
			t.Errorf("message %q does not name the input", msg)
		}
		for _, s := range vms.All() {
			if !strings.Contains(msg, s.Name()) {
				t.Errorf("message %q does not list %s", msg, s)
			}
		}
		if !strings.Contains(msg, fmt.Sprintf("did you mean %q", nearest)) {
			t.Errorf("message %q does not suggest %q", msg, nearest)
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("message %q spans lines", msg)
		}
	}
}

func TestSystemJSONIsTheCanonicalName(t *testing.T) {
	for _, s := range vms.All() {
		b, err := json.Marshal(s)
		if err != nil || string(b) != fmt.Sprintf("%q", s.Name()) {
			t.Errorf("marshal %v = %s, %v", s, b, err)
		}
	}
	var s vms.System
	if err := json.Unmarshal([]byte(`"FC"`), &s); err != nil || s != vms.Firecracker {
		t.Errorf(`unmarshal "FC" = %v, %v`, s, err)
	}
	if err := json.Unmarshal([]byte(`"virtualbox"`), &s); err == nil {
		t.Error(`unmarshal "virtualbox" succeeded`)
	}
	if _, err := json.Marshal(vms.System(99)); err == nil {
		t.Error("marshal of an invalid system succeeded")
	}
}
