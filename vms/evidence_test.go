package vms_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/vms"
)

// The evidence must state the reference's facts in this project's own words.
// testdata/reference-evidence.txt holds fingerprints of the reference's
// evidence, not its text: a SHA-256 prefix of every evidence sentence and of
// every run of copyRun consecutive words in it, after normalisation (ASCII
// lower case, words of letters and digits). TestReferenceFingerprintsAreCurrent
// checks them against the reference when it is present (and rewrites them
// with -update-fingerprints).

const (
	referencePath    = "../../shared/reference/000_be2eb60e9e27f17c.txt"
	fingerprintsPath = "testdata/reference-evidence.txt"
	// copyRun is how many consecutive words shared with a reference
	// sentence count as copying it: long enough that shared technical names
	// ("an optional bare-metal type-1 HV1") do not trip it.
	copyRun = 8
)

var updateFingerprints = flag.Bool("update-fingerprints", false, "rewrite "+fingerprintsPath+" from "+referencePath)

var wordRE = regexp.MustCompile(`[a-z0-9]+`)

func words(s string) []string { return wordRE.FindAllString(asciiLower(s), -1) }

func fingerprint(ws []string) string {
	sum := sha256.Sum256([]byte(strings.Join(ws, " ")))
	return hex.EncodeToString(sum[:8])
}

// fingerprints returns "sentence <fp>" for each line and "run<copyRun> <fp>"
// for each run of copyRun words in it, sorted and deduplicated.
func fingerprints(lines []string) []string {
	var out []string
	for _, l := range lines {
		ws := words(l)
		out = append(out, "sentence "+fingerprint(ws))
		for i := 0; i+copyRun <= len(ws); i++ {
			out = append(out, fmt.Sprintf("run%d %s", copyRun, fingerprint(ws[i:i+copyRun])))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// referenceEvidence extracts the evidence strings from the reference text:
// the quoted lines inside each `evidence: vec![ ... ],` block.
func referenceEvidence(text string) []string {
	quoted := regexp.MustCompile(`^\s*\d*\s*"(.*)",\s*$`)
	var out []string
	in := false
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.Contains(l, "evidence: vec!["):
			in = true
		case in && strings.Contains(l, "],"):
			in = false
		case in:
			if m := quoted.FindStringSubmatch(l); m != nil {
				out = append(out, m[1])
			}
		}
	}
	return out
}

func readFingerprints(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(fingerprintsPath)
	if err != nil {
		t.Fatalf("open fingerprints: %v", err)
	}
	defer f.Close()
	set := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			set[l] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read fingerprints: %v", err)
	}
	return set
}

func TestReferenceFingerprintsAreCurrent(t *testing.T) {
	text, err := os.ReadFile(referencePath)
	if err != nil {
		t.Skipf("reference module not present at %s (it lives beside the repository, not in it): %v", referencePath, err)
	}
	ev := referenceEvidence(string(text))
	if len(ev) != 35 {
		t.Fatalf("found %d evidence lines in the reference, want 35 (5 per system)", len(ev))
	}
	fps := fingerprints(ev)
	if *updateFingerprints {
		body := "# Fingerprints of the reference's evidence (see evidence_test.go); regenerate with\n" +
			"# go test ./vms -run TestReferenceFingerprintsAreCurrent -update-fingerprints\n" +
			strings.Join(fps, "\n") + "\n"
		if err := os.WriteFile(fingerprintsPath, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have := readFingerprints(t)
	for _, fp := range fps {
		if !have[fp] {
			t.Fatalf("%s lacks %s: run with -update-fingerprints", fingerprintsPath, fp)
		}
	}
	if len(have) != len(fps) {
		t.Fatalf("%s holds %d fingerprints, the reference gives %d: run with -update-fingerprints", fingerprintsPath, len(have), len(fps))
	}
}

func TestEvidenceIsOurOwnWords(t *testing.T) {
	ref := readFingerprints(t)
	for _, s := range vms.All() {
		p := vms.ProfileOf(s)
		if len(p.Evidence) < 3 {
			t.Errorf("%s has %d evidence lines, want at least 3", s, len(p.Evidence))
		}
		for _, e := range p.Evidence {
			ws := words(e)
			if ref["sentence "+fingerprint(ws)] {
				t.Errorf("%s evidence is the reference's sentence: %q", s, e)
				continue
			}
			for i := 0; i+copyRun <= len(ws); i++ {
				if ref[fmt.Sprintf("run%d %s", copyRun, fingerprint(ws[i:i+copyRun]))] {
					t.Errorf("%s evidence shares %d consecutive words (%q) with a reference sentence: %q",
						s, copyRun, strings.Join(ws[i:i+copyRun], " "), e)
					break
				}
			}
		}
	}
}

func TestEvidenceLinesAreDistinctSingleLines(t *testing.T) {
	seen := map[string]vms.System{}
	for _, s := range vms.All() {
		for _, e := range vms.ProfileOf(s).Evidence {
			if strings.TrimSpace(e) != e || e == "" || strings.ContainsAny(e, "\n\r") {
				t.Errorf("%s evidence %q is not a trimmed single line", s, e)
			}
			if o, dup := seen[e]; dup {
				t.Errorf("%s repeats %s's evidence %q", s, o, e)
			}
			seen[e] = s
		}
	}
}
