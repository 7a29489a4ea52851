package evaluate

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/rubric"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
)

// registryPreferred is the driver registry's preference order
// (drivers/registry), as recorded beside the rubric/2 evaluations.
func registryPreferred(t *testing.T) map[vms.System][]string {
	t.Helper()
	g := rubric2Evaluations(t)
	out := map[vms.System][]string{}
	for name, vs := range g.Preferred {
		s, err := vms.Parse(name)
		if err != nil {
			t.Fatal(err)
		}
		out[s] = vs
	}
	return out
}

// recordedRun is a default run recorded on a machine of this kind: KVM
// present but unable to boot ordinary guests, QEMU measured under TCG,
// gVisor and Docker measured, the other systems unavailable.
func recordedRun(t *testing.T) *results.Results {
	t.Helper()
	res, err := results.ReadResultsFile("../testdata/runs/default-run-3-new.json")
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func names(ss []vms.System) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name())
	}
	return out
}

func rowNames(rows []Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.System.Name())
	}
	return out
}

func TestHostFitSaysWhatRunsHereAndWhatTheOthersWouldNeed(t *testing.T) {
	noKVM := []VariantFingerprint{
		{vms.Firecracker, "firecracker", driver.Fingerprint{Reason: "no usable KVM: /dev/kvm does not exist", Fix: "install the firecracker release binary on PATH; run on a host with hardware virtualization exposed"}},
		{vms.QEMUKVM, "qemu-kvm/kvm", driver.Fingerprint{Reason: "/dev/kvm does not exist", Fix: "run on a host with hardware virtualization exposed", Details: map[string]string{"accelerator": "kvm"}}},
		{vms.QEMUKVM, "qemu-kvm/tcg", driver.Fingerprint{Available: true, Details: map[string]string{"accelerator": "tcg"}}},
		{vms.Docker, "docker/runc", driver.Fingerprint{Available: true}},
		{vms.AetherVM, "aethervm", driver.Fingerprint{Reason: "no public release", Fix: "a driver for it"}},
	}
	for _, c := range []struct {
		name     string
		fit      HostFit
		sys      vms.System
		runnable bool
		emulated bool
		needs    []string // each is contained in some need
	}{
		{"recorded run: firecracker needs its binary and a working KVM", *HostFitFromResults(recordedRun(t)), vms.Firecracker, false, false,
			[]string{"install the firecracker release binary", "a KVM that runs ordinary guests (this host's does not: /dev/kvm answers but a guest kernel does not boot"}},
		{"recorded run: qemu-kvm runs only under TCG", *HostFitFromResults(recordedRun(t)), vms.QEMUKVM, true, true, []string{"qemu-kvm/kvm: run on a host whose KVM runs guests"}},
		{"recorded run: gvisor runs here", *HostFitFromResults(recordedRun(t)), vms.GVisor, true, false, nil},
		{"recorded run: aethervm needs a release", *HostFitFromResults(recordedRun(t)), vms.AetherVM, false, false, []string{"a public AetherVM release"}},
		{"no /dev/kvm: the driver's own fix already names KVM", HostFitOf("this host's drivers", noKVM), vms.Firecracker, false, false, []string{"install the firecracker release binary on PATH; run on a host with hardware virtualization exposed"}},
		{"no /dev/kvm: an unobtainable system needs a release", HostFitOf("this host's drivers", noKVM), vms.AetherVM, false, false, []string{"a driver for it", "a KVM that runs ordinary guests (this host's does not: /dev/kvm does not exist)", "a public release (no public release"}},
		{"a system without a fingerprint was not tried", HostFitOf("this host's drivers", noKVM), vms.GVisor, false, false, []string{"a fingerprint on this host (agentic-eval vms measure gvisor)"}},
		{"a run of docker variants only did not try gvisor", *HostFitFromResults(mustRead(t, "../testdata/runs/run-crun-runc.json")), vms.GVisor, false, false, []string{"vms measure gvisor"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.fit.Of(c.sys)
			if r.Runnable != c.runnable || (r.Emulated != "") != c.emulated {
				t.Fatalf("%+v; want runnable %v, emulated %v", r, c.runnable, c.emulated)
			}
			if len(c.needs) == 0 && !c.emulated && len(r.Needs) != 0 {
				t.Errorf("a system that runs here needs %q", r.Needs)
			}
			for _, n := range c.needs {
				if !slices.ContainsFunc(r.Needs, func(x string) bool { return strings.Contains(x, n) }) {
					t.Errorf("needs %q lack %q", r.Needs, n)
				}
			}
			if len(dedupe(r.Needs)) != len(r.Needs) || (c.sys == vms.Firecracker && len(r.Needs) > 2) {
				t.Errorf("needs repeat themselves: %q", r.Needs)
			}
		})
	}
}

func mustRead(t *testing.T, path string) *results.Results {
	t.Helper()
	res, err := results.ReadResultsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestTheDefaultAnswerIsForThisHostFirst(t *testing.T) {
	res := recordedRun(t)
	host := HostFitFromResults(res)
	for _, p := range vms.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			opts := Options{Preferred: registryPreferred(t), Host: host}
			ev := Evaluate(res, p.Weights, opts)
			if got := rowNames(ev.Rows); !sameSet(got, []string{"gvisor", "qemu-kvm", "docker"}) {
				t.Errorf("ranked %v; want only the systems that run here", got)
			}
			if got := rowNames(ev.Apart); !sameSet(got, []string{"aethervm", "firecracker", "cloud-hypervisor", "kata"}) {
				t.Errorf("apart %v; want the curated-only systems", got)
			}
			for i, r := range ev.Rows {
				if r.RunsHere == nil || !*r.RunsHere || r.Rank < 1 || r.Rank > i+1 || r.WhatIfRank == 0 {
					t.Errorf("ranked row %s: runs here %v, rank %d, what-if rank %d", r.System, r.RunsHere, r.Rank, r.WhatIfRank)
				}
			}
			for _, r := range ev.Apart {
				if r.RunsHere == nil || *r.RunsHere || r.Rank != 0 || r.WhatIfRank == 0 || len(r.Needs) == 0 {
					t.Errorf("apart row %s: runs here %v, rank %d, what-if rank %d, needs %q", r.System, r.RunsHere, r.Rank, r.WhatIfRank, r.Needs)
				}
			}
			if !strings.HasPrefix(ev.Headline, "3 of 7 systems can run on this host (run 63de0f7f) and are ranked: ") ||
				!strings.Contains(ev.Headline, "qemu-kvm (only under TCG software emulation)") || !strings.Contains(ev.Headline, "the 4 that cannot are listed apart") {
				t.Errorf("headline %q", ev.Headline)
			}

			rec, err := Recommend(ev, RecommendOptions{Weighting: "preset " + p.Name})
			if err != nil {
				t.Fatal(err)
			}
			if rec.RunsHere == nil || !*rec.RunsHere || !strings.HasPrefix(rec.Headline, "Recommended for this host: "+rec.System.Name()+", which runs here") {
				t.Errorf("recommended %s (runs here %v): %q", rec.System, rec.RunsHere, rec.Headline)
			}
			if len(rec.Ranking) != 3 || len(rec.Apart) != 4 {
				t.Errorf("ranking %d, apart %d", len(rec.Ranking), len(rec.Apart))
			}
			for _, c := range rec.Apart {
				if c.RunsHere == nil || *c.RunsHere || len(c.Needs) == 0 || c.WhatIfRank == 0 {
					t.Errorf("apart %+v: want it marked, with what it needs and where it would stand", c)
				}
			}

			// What if every system could run here: all ranked, each marked.
			opts.WhatIf = true
			all := Evaluate(res, p.Weights, opts)
			if len(all.Rows) != 7 || len(all.Apart) != 0 || !strings.Contains(all.Headline, "ranked with them (what if they could run here)") {
				t.Errorf("what-if: %d rows, %d apart, headline %q", len(all.Rows), len(all.Apart), all.Headline)
			}
			wrec, err := Recommend(all, RecommendOptions{Weighting: "preset " + p.Name})
			if err != nil {
				t.Fatal(err)
			}
			if runs := wrec.RunsHere != nil && *wrec.RunsHere; !runs && !strings.HasPrefix(wrec.Headline, "Recommended only if it could run here: "+wrec.System.Name()+" cannot run on this host") {
				t.Errorf("what-if recommendation of %s, which cannot run here: %q", wrec.System, wrec.Headline)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestTheFirstLineSaysWhenNothingRunsHereOrWhenTheHostIsUnknown(t *testing.T) {
	var nothing []VariantFingerprint
	for _, s := range vms.All() {
		nothing = append(nothing, VariantFingerprint{System: s, Variant: s.Name(), Fingerprint: driver.Fingerprint{Reason: "binary not found", Fix: "install " + s.Name()}})
	}
	none := HostFitOf("this host's drivers", nothing)
	// QEMU under TCG is all that runs, and nothing was measured: the
	// curated qemu-kvm profile describes QEMU under KVM, which cannot run
	// here, so it stands apart too.
	tcgOnly := HostFitOf("this host's drivers", append(slices.Clone(nothing[:5]),
		VariantFingerprint{vms.QEMUKVM, "qemu-kvm/kvm", driver.Fingerprint{Reason: "no usable KVM: /dev/kvm does not exist", Fix: "run on a host with hardware virtualization exposed", Details: map[string]string{"accelerator": "kvm"}}},
		VariantFingerprint{vms.QEMUKVM, "qemu-kvm/tcg", driver.Fingerprint{Available: true, Details: map[string]string{"accelerator": "tcg"}}},
		nothing[6]))
	for _, c := range []struct {
		name     string
		opts     Options
		headline string
		first    string
	}{
		{"only TCG runs here and nothing was measured", Options{Host: &tcgOnly},
			"No system in the catalog can run on this host (this host's drivers) as itself (qemu-kvm runs here only as qemu-kvm/tcg, TCG software emulation, not as qemu-kvm itself, and nothing measured here describes that emulation): all 7 are listed apart",
			"No system in the catalog can run on this host (this host's drivers) as itself (qemu-kvm runs here only as qemu-kvm/tcg"},
		{"nothing runs here", Options{Host: &none}, "No system in the catalog can run on this host (this host's drivers): all 7 are listed apart",
			"No system in the catalog can run on this host (this host's drivers); if one could, aethervm would rank first of the 7 systems under"},
		{"nothing runs here, what if", Options{Host: &none, WhatIf: true}, "No system in the catalog can run on this host (this host's drivers): all 7 are ranked",
			"No system in the catalog can run on this host (this host's drivers); if one could, aethervm would rank first"},
		{"host not known", Options{}, "All 7 systems are ranked: which of them can run on this host was not checked",
			"Recommended: aethervm, fitness 0.86 (curated only) under balanced; whether it can run on this host was not checked."},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev := Evaluate(nil, vms.Balanced(), c.opts)
			if !strings.HasPrefix(ev.Headline, c.headline) {
				t.Errorf("evaluation headline %q, want it to start %q", ev.Headline, c.headline)
			}
			rec, err := Recommend(ev, RecommendOptions{Weighting: "balanced"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(rec.Headline, c.first) {
				t.Errorf("first line %q, want it to start %q", rec.Headline, c.first)
			}
			if c.opts.Host != nil && !strings.Contains(rec.Headline, "it would need: install aethervm") {
				t.Errorf("first line %q does not say what the system would need", rec.Headline)
			}
		})
	}
}

// gvisorStarting is a gVisor variant whose first python-hello results
// took ms milliseconds, give or take 5%: a measured start-latency with a
// narrow bootstrap interval.
func gvisorStarting(ms float64) results.VariantResult {
	var ns []int64
	var ds []time.Duration
	for i := range 12 {
		d := time.Duration(ms*(0.95+0.1*float64(i)/11)) * time.Millisecond
		ns, ds = append(ns, int64(d)), append(ds, d)
	}
	return results.VariantResult{System: vms.GVisor, Variant: "gvisor/systrap", Fingerprint: driver.Fingerprint{Available: true},
		Workloads: &results.WorkloadResult{TTI: []results.TimeToInteract{{Workload: "python-hello", FirstNS: ns, FirstResult: stats.Summarize(ds)}}}}
}

// A planted run on a host where Firecracker and gVisor run: Firecracker
// produced no figure, so its start-latency is its makers' published bound
// of a different quantity (time to guest init); gVisor's is measured.
// Weighted on start-latency alone, a measured interval that overlaps the
// bound's interval ties with it; one below it does not; and rubric/2,
// which scored the bound as a point, told them apart.
func TestAPublishedBoundTiesWithAMeasuredIntervalItOverlaps(t *testing.T) {
	startOnly := vms.Weights{1, 0, 0, 0, 0}
	fcStart := rubric.PublishedScoresWith(vms.Firecracker, rubric.Options{})[0]
	if fcStart.Axis != vms.StartLatency || !fcStart.Bound {
		t.Fatalf("firecracker's first published score is %+v, want its start-latency bound", fcStart)
	}
	for _, c := range []struct {
		name    string
		ms      float64
		version string
		tied    bool
	}{
		{"measured inside the bound's interval ties", 250, "rubric/3", true},
		{"measured near the bound's score ties", 130, "rubric/3", true},
		{"measured below the bound's low end does not tie", 3000, "rubric/3", false},
		{"rubric/2 scored the bound as a point and separated them", 250, "rubric/2", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := &results.Results{Schema: results.Schema, RunID: "planted", Systems: []results.VariantResult{
				{System: vms.Firecracker, Variant: "firecracker", Fingerprint: driver.Fingerprint{Available: true}},
				gvisorStarting(c.ms),
			}}
			ev := Evaluate(res, startOnly, Options{Host: HostFitFromResults(res), Rubric: rubric.Options{Version: c.version}})
			if got := rowNames(ev.Rows); !sameSet(got, []string{"firecracker", "gvisor"}) {
				t.Fatalf("ranked %v, want the two systems that run here", got)
			}
			fc, gv := row(t, ev, vms.Firecracker), row(t, ev, vms.GVisor)
			if gv.FitnessLo == nil || fc.Primary != "" {
				t.Fatalf("gvisor interval %v, firecracker primary %q", gv.FitnessLo, fc.Primary)
			}
			if c.version == "rubric/3" && (fc.FitnessLo == nil || *fc.FitnessLo != *fcStart.Lo || *fc.FitnessHi != *fcStart.Hi) {
				t.Errorf("firecracker fitness interval %v..%v, want its bound's [%v, %v]", fc.FitnessLo, fc.FitnessHi, *fcStart.Lo, *fcStart.Hi)
			}
			if got := fc.Rank == gv.Rank && fc.Tied && gv.Tied; got != c.tied {
				t.Errorf("firecracker %.3f [%v..%v] rank %d, gvisor %.3f [%.3f, %.3f] rank %d: tied %v, want %v",
					fc.Fitness, fc.FitnessLo, fc.FitnessHi, fc.Rank, gv.Fitness, *gv.FitnessLo, *gv.FitnessHi, gv.Rank, got, c.tied)
			}
			rec, err := Recommend(ev, RecommendOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var fcC, gvC Contender
			for _, x := range rec.Ranking {
				switch x.System {
				case vms.Firecracker:
					fcC = x
				case vms.GVisor:
					gvC = x
				}
			}
			if got := fcC.Rank == gvC.Rank && fcC.Tied && gvC.Tied; got != c.tied {
				t.Errorf("recommendation's ranking: firecracker %+v, gvisor %+v; tied %v, want %v", fcC, gvC, got, c.tied)
			}
			if c.tied && (len(rec.TiedWith) != 1 || !strings.Contains(rec.Headline, "shares first place with") || !strings.Contains(rec.Reasons[0], "ties with")) {
				t.Errorf("a tie not said: tied with %v, first line %q, first reason %q", rec.TiedWith, rec.Headline, rec.Reasons[0])
			}
		})
	}
}

// onlyQEMU is the recorded run's host as if only QEMU's variants had been
// fingerprinted: the one system that runs here runs under TCG.
func onlyQEMU(res *results.Results) *HostFit {
	var fps []VariantFingerprint
	for _, vr := range res.Systems {
		if vr.System == vms.QEMUKVM {
			fps = append(fps, VariantFingerprint{vr.System, vr.Variant, vr.Fingerprint})
		}
	}
	h := HostFitOf("run "+res.RunID, fps)
	return &h
}

func TestTheTCGCaveatReachesEveryReasonAndRowThatUsesATCGFigure(t *testing.T) {
	res := recordedRun(t)
	ev := Evaluate(res, vms.Balanced(), Options{Preferred: registryPreferred(t), Host: onlyQEMU(res)})
	if len(ev.Rows) != 1 || ev.Rows[0].System != vms.QEMUKVM {
		t.Fatalf("ranked %v, want qemu-kvm alone", rowNames(ev.Rows))
	}
	q := ev.Rows[0]
	if q.Primary != "qemu-kvm/tcg" || !strings.Contains(q.Emulated, "qemu-kvm/tcg is TCG software emulation, not qemu-kvm") {
		t.Fatalf("row %s primary %q, emulated %q", q.System, q.Primary, q.Emulated)
	}
	for _, a := range q.Axes {
		if a.Variant == "qemu-kvm/tcg" && (a.Emulated == "" || !strings.Contains(a.Basis, "under TCG software emulation (qemu-kvm/tcg)")) {
			t.Errorf("table row %s from qemu-kvm/tcg lacks the caveat: %+v", a.Axis, a)
		}
		if a.Axis == vms.Isolation.Name() && (a.Score >= rubric.IsolationBase[vms.BoundaryUserspaceKernel] || !strings.Contains(a.Basis, "software-emulation boundary")) {
			t.Errorf("isolation under TCG %+v: want the software-emulation class, below a userspace kernel", a)
		}
	}
	rec, err := Recommend(ev, RecommendOptions{Weighting: "balanced"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rec.Headline, "Recommended for this host: qemu-kvm, which runs here only as qemu-kvm/tcg under TCG software emulation, not as qemu-kvm itself") {
		t.Errorf("first line %q", rec.Headline)
	}
	if !strings.HasPrefix(rec.Reasons[0], "qemu-kvm's figures here come from qemu-kvm/tcg: qemu-kvm/tcg is TCG software emulation") {
		t.Errorf("first reason %q", rec.Reasons[0])
	}
	for _, r := range rec.Reasons {
		if strings.Contains(r, "on this host: ") && !strings.Contains(r, "under TCG software emulation (qemu-kvm/tcg)") {
			t.Errorf("reason from a TCG figure without the caveat: %q", r)
		}
	}
	for _, a := range rec.Axes {
		if a.Variant == "qemu-kvm/tcg" && a.Emulated == "" {
			t.Errorf("axis %s from qemu-kvm/tcg without the caveat", a.Axis)
		}
	}
	if c := rec.Ranking[0]; c.Emulated == "" || !strings.Contains(c.From, "under TCG software emulation (qemu-kvm/tcg)") || !strings.Contains(rec.From, "TCG") {
		t.Errorf("ranking row %+v, from %q: want the caveat", c, rec.From)
	}
	// The isolation class a limit is tested on is the emulator's too.
	v := verdictOf(t, CheckConstraints(ev, Constraints{MinIsolation: vms.BoundaryHardware}, Facts{Results: res}), vms.QEMUKVM)
	if v.Status != Fail || !strings.HasPrefix(v.Checks[0].Figure, "software-emulation (the run's accelerator is TCG") {
		t.Errorf("hardware-virtualization limit on qemu-kvm/tcg: %+v", v)
	}
}

func TestRequireMeasuredCountsOnlyFiguresMeasuredHere(t *testing.T) {
	res := recordedRun(t)
	untrusted, _ := vms.LookupPreset("untrusted-code")
	for _, c := range []struct {
		name     string
		host     *HostFit
		want     vms.System
		err      error
		leftOut  string
		absentOf string
	}{
		{"qemu-kvm's declared isolation does not count", HostFitFromResults(res), vms.GVisor, nil, "qemu-kvm: isolation declared, not measured here", "qemu-kvm"},
		{"a host where only qemu-kvm runs has nothing measured", onlyQEMU(res), 0, ErrNothingMeasured, "qemu-kvm: isolation declared, not measured here", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev := Evaluate(res, untrusted.Weights, Options{Preferred: registryPreferred(t), Host: c.host})
			rec, err := Recommend(ev, RecommendOptions{RequireMeasured: true})
			if c.err != nil {
				if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.leftOut) {
					t.Errorf("error %v, want %v saying %q", err, c.err, c.leftOut)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.System != c.want || rec.From != "measured here" || !strings.Contains(strings.Join(rec.Caveats, "\n"), c.leftOut) {
				t.Errorf("recommended %s (%s), caveats %q", rec.System, rec.From, rec.Caveats)
			}
			for _, r := range rec.Ranking {
				if r.System.Name() == c.absentOf || r.From != "measured here" {
					t.Errorf("ranked %s (%s) under require-measured", r.System, r.From)
				}
			}
		})
	}
}

// rubric2Golden is every evaluation of the recorded runs under docs/ (and
// of none) as the evaluate package computed it under rubric/2 before
// rubric/3 existed (testdata/rubric2-evaluations.json, generated once).
type rubric2Golden struct {
	Preferred   map[string][]string `json:"preferred"`
	Evaluations []struct {
		Document string `json:"document"`
		Preset   string `json:"preset"`
		Rows     []struct {
			System    string   `json:"system"`
			Primary   string   `json:"primary"`
			Fitness   float64  `json:"fitness"`
			FitnessLo *float64 `json:"fitness_ci_lo"`
			FitnessHi *float64 `json:"fitness_ci_hi"`
			Rank      int      `json:"rank"`
			Tied      bool     `json:"tied"`
		} `json:"rows"`
	} `json:"evaluations"`
}

func rubric2Evaluations(t *testing.T) rubric2Golden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "rubric2-evaluations.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g rubric2Golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestAnOldEvaluationReScoresUnderRubric2AsItWas(t *testing.T) {
	g := rubric2Evaluations(t)
	pref := registryPreferred(t)
	eq := func(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	for _, e := range g.Evaluations {
		t.Run(e.Document+" "+e.Preset, func(t *testing.T) {
			var res *results.Results
			if e.Document != "." {
				res = mustRead(t, filepath.Join("..", "testdata", "runs", e.Document))
			}
			p, _ := vms.LookupPreset(e.Preset)
			ev := Evaluate(res, p.Weights, Options{Preferred: pref, Rubric: rubric.Options{Version: "rubric/2"}})
			if len(ev.Rows) != len(e.Rows) {
				t.Fatalf("%d rows, want %d", len(ev.Rows), len(e.Rows))
			}
			for i, w := range e.Rows {
				r := ev.Rows[i]
				if r.System.Name() != w.System || r.Primary != w.Primary || r.Fitness != w.Fitness || !eq(r.FitnessLo, w.FitnessLo) || !eq(r.FitnessHi, w.FitnessHi) || r.Rank != w.Rank || r.Tied != w.Tied {
					t.Errorf("row %d: %s %q %.4f [%v %v] rank %d tied %v; rubric/2 gave %+v", i, r.System, r.Primary, r.Fitness, r.FitnessLo, r.FitnessHi, r.Rank, r.Tied, w)
				}
			}
		})
	}
}

// User-facing text speaks of the product: no string in these packages
// cites the project's issue tracker.
func TestNoUserFacingStringCitesAnIssue(t *testing.T) {
	issue := regexp.MustCompile(`(?i)\bissues?\s*#?\d+|#\d{2,}`)
	for _, dir := range []string{".", "../rubric", "../vms"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && issue.MatchString(s) {
						t.Errorf("%s: string %q cites an issue", fset.Position(lit.Pos()), s)
					}
				}
				return true
			})
		}
	}
}
