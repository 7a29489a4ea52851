package evaluate

import (
	"sort"
	"strings"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/rubric"
	"github.com/agentic-eval/agentic-eval/vms"
)

// HostFit is which systems can run on the host an answer is for, and what
// the others would need. The faces derive it from a results document's
// fingerprints (HostFitFromResults: every registered driver's fingerprint
// is recorded, available or not) or, without a results file, from the
// fingerprints of this host's drivers (HostFitOf), and pass it as
// Options.Host: the answer is then for this host first.
type HostFit struct {
	// Source says where the facts come from, e.g. "run 63de0f7f" or "this
	// host's drivers"; it is quoted in headlines.
	Source string `json:"source"`
	// Systems has one entry per catalog system, in catalog order.
	Systems []Runnability `json:"systems"`
}

// Runnability is whether one system can run on the host.
type Runnability struct {
	System vms.System `json:"system"`
	// Runnable is set when a variant of the system is available on the
	// host, an emulated one included (see Emulated).
	Runnable bool `json:"runnable"`
	// Variants are the variants available on the host, by name.
	Variants []string `json:"variants,omitempty"`
	// Emulated is set when every variant available is one that does not
	// represent the system (QEMU under TCG): the system runs here only as
	// that emulation, and this says so in one sentence.
	Emulated string `json:"emulated,omitempty"`
	// Why is why the system cannot run here (or, when Emulated, why it
	// cannot run as itself): its unavailable variants' reasons, one line.
	Why string `json:"why,omitempty"`
	// Needs are what it would need to run here as itself: a KVM that runs
	// ordinary guests, a binary, a public release. Empty for a system that
	// runs here as itself.
	Needs []string `json:"needs,omitempty"`
}

// Of returns the entry for s; a system without one cannot run here, and
// says that it was not tried.
func (h HostFit) Of(s vms.System) Runnability {
	for _, r := range h.Systems {
		if r.System == s {
			return r
		}
	}
	return notTried(s, h.Source)
}

// Runnable lists the systems that can run on the host, in catalog order.
func (h HostFit) Runnable() []vms.System {
	var out []vms.System
	for _, s := range vms.All() {
		if h.Of(s).Runnable {
			out = append(out, s)
		}
	}
	return out
}

// VariantFingerprint is one driver's fingerprint on the host.
type VariantFingerprint struct {
	System      vms.System
	Variant     string
	Fingerprint driver.Fingerprint
}

// HostFitFromResults is the HostFit of the host a run measured, from the
// fingerprints it recorded (nil results: nil).
func HostFitFromResults(res *results.Results) *HostFit {
	if res == nil {
		return nil
	}
	fps := make([]VariantFingerprint, 0, len(res.Systems))
	for _, vr := range res.Systems {
		fps = append(fps, VariantFingerprint{System: vr.System, Variant: vr.Variant, Fingerprint: vr.Fingerprint})
	}
	h := HostFitOf("run "+res.RunID, fps)
	return &h
}

// HostFitOf is the HostFit of a host from its drivers' fingerprints, given
// in preference order (registry order); source says where they come from
// (e.g. "this host's drivers"). A system no fingerprint covers cannot run
// here as far as anyone knows, and its entry says it was not tried.
func HostFitOf(source string, fps []VariantFingerprint) HostFit {
	h := HostFit{Source: source}
	kvmBroken := brokenKVM(fps)
	for _, sys := range vms.All() {
		var mine []VariantFingerprint
		for _, f := range fps {
			if f.System == sys {
				mine = append(mine, f)
			}
		}
		if len(mine) == 0 {
			h.Systems = append(h.Systems, notTried(sys, source))
			continue
		}
		r := Runnability{System: sys}
		native := false
		var whys, needs []string
		for _, f := range mine {
			if f.Fingerprint.Available {
				r.Variants = append(r.Variants, f.Variant)
				native = native || !rubric.SoftwareEmulated(f.Fingerprint)
				continue
			}
			why := f.Fingerprint.Reason
			if why == "" {
				why = "unavailable, no reason recorded"
			}
			if f.Variant != sys.Name() {
				why = f.Variant + ": " + why
			}
			whys = append(whys, why)
			if fix := f.Fingerprint.Fix; fix != "" {
				if f.Variant != sys.Name() {
					fix = f.Variant + ": " + fix
				}
				needs = append(needs, fix)
			}
		}
		// By name: the answer must not depend on the order of a results file.
		sort.Strings(r.Variants)
		r.Runnable = len(r.Variants) > 0
		if !native {
			r.Why = strings.Join(whys, "; ")
			if r.Runnable {
				r.Emulated = sys.Name() + " runs here only as " + strings.Join(r.Variants, ", ") + ", TCG software emulation, not as " + sys.Name() + " itself"
			}
			if vms.NeedsKVM(sys) && kvmBroken != "" && !mentions(needs, "kvm", "hardware virtualization") {
				needs = append(needs, "a KVM that runs ordinary guests (this host's does not: "+kvmBroken+")")
			}
			if av := vms.AvailabilityOf(sys); !av.Obtainable && !mentions(needs, "release") {
				needs = append(needs, "a public release ("+av.Release+")")
			}
			r.Needs = dedupe(needs)
		}
		h.Systems = append(h.Systems, r)
	}
	return h
}

func notTried(s vms.System, source string) Runnability {
	return Runnability{System: s, Why: "not tried: " + source + " has no fingerprint of " + s.Name(),
		Needs: []string{"a fingerprint on this host (agentic-eval vms measure " + s.Name() + ")"}}
}

// brokenKVM says why the host's KVM cannot run ordinary guests, or "" when
// it can or nothing says: the QEMU KVM variant's trial boot decides
// (Details "accelerator" "kvm"), else another driver's KVM check (Details
// "kvm").
func brokenKVM(fps []VariantFingerprint) string {
	for _, f := range fps {
		if f.Fingerprint.Details["accelerator"] != "kvm" {
			continue
		}
		if f.Fingerprint.Available {
			return ""
		}
		if strings.Contains(strings.ToLower(f.Fingerprint.Reason), "kvm") {
			return f.Fingerprint.Reason
		}
	}
	for _, f := range fps {
		if k, ok := f.Fingerprint.Details["kvm"]; ok && !strings.HasSuffix(k, " usable") {
			return k
		}
	}
	return ""
}

func mentions(lines []string, words ...string) bool {
	for _, l := range lines {
		l = strings.ToLower(l)
		for _, w := range words {
			if strings.Contains(l, w) {
				return true
			}
		}
	}
	return false
}

func dedupe(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
