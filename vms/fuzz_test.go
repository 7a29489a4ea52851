package vms_test

import (
	"math"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/vms"
)

// FuzzParse: Parse never panics; it accepts exactly the reference's
// spellings after ASCII lowercasing (from_name's to_ascii_lowercase); a
// parsed system's name parses back to the same system; a rejection names
// the input and suggests a valid spelling.
func FuzzParse(f *testing.F) {
	for name := range referenceAliases {
		f.Add(name)
		f.Add(strings.ToUpper(name))
	}
	for _, s := range []string{"", "virtualbox", "firecraker", "\xff\xfe", "ｆｃ", "fc\x00", strings.Repeat("a", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sys, err := vms.Parse(s)
		want, known := referenceAliases[asciiLower(s)]
		if err != nil {
			if known {
				t.Fatalf("Parse(%+q) rejected a reference spelling of %s: %v", s, want, err)
			}
			if !strings.Contains(err.Error(), "did you mean") {
				t.Fatalf("Parse(%+q) error %q suggests nothing", s, err)
			}
			return
		}
		if !known || sys != want {
			t.Fatalf("Parse(%+q) = %v; the reference's from_name gives %v (known %v)", s, sys, want, known)
		}
		back, err := vms.Parse(sys.Name())
		if err != nil || back != sys {
			t.Fatalf("Parse(%+q) = %v, whose name %q parses back as %v, %v", s, sys, sys.Name(), back, err)
		}
	})
}

// FuzzParseWeights: ParseWeights never panics; what it accepts is valid,
// its String() parses back to equal weights, and fitness under it stays
// within the scores it weighs.
func FuzzParseWeights(f *testing.F) {
	for _, s := range []string{
		"start-latency=2,isolation=3", "isolation=0", "start=1,snapshot=2", "",
		"isolation=NaN", "isolation=-0", "agent_control=1e-300", "density=0x1p-3",
		"a=b=c", ",,,", "isolation=1,isolation=1",
	} {
		f.Add(s)
	}
	for _, p := range vms.Presets() {
		f.Add(p.Weights.String())
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := vms.ParseWeights(s)
		if err != nil {
			return
		}
		if err := w.Validate(); err != nil {
			t.Fatalf("ParseWeights(%q) = %v, which does not validate: %v", s, w, err)
		}
		back, err := vms.ParseWeights(w.String())
		if err != nil || back != w {
			t.Fatalf("ParseWeights(%q) = %v; its String %q parses back as %v, %v", s, w, w.String(), back, err)
		}
		for _, p := range vms.Profiles() {
			lo, hi := 1.0, 0.0
			for i, sc := range p.Scores() {
				if w[i] > 0 {
					lo, hi = min(lo, sc), max(hi, sc)
				}
			}
			if f := w.Fitness(p); math.IsNaN(f) || f < lo-1e-12 || f > hi+1e-12 {
				t.Fatalf("ParseWeights(%q): %s fitness %v outside its weighted scores [%v, %v]", s, p.System, f, lo, hi)
			}
		}
	})
}
