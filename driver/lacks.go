package driver

import (
	"slices"
	"strings"
)

// Lacks gathers what a fingerprint found missing: each prerequisite that
// does not depend on another is checked and named, so that a user learns
// everything to fix at once, not one thing a run.
type Lacks struct {
	reasons, fixes []string
}

// Add records one missing prerequisite and what fixes it ("" when nothing
// to say); the same fix is said once.
func (l *Lacks) Add(reason, fix string) {
	l.reasons = append(l.reasons, reason)
	if fix != "" && !slices.Contains(l.fixes, fix) {
		l.fixes = append(l.fixes, fix)
	}
}

// Any reports whether something is missing.
func (l *Lacks) Any() bool { return len(l.reasons) > 0 }

// Fill sets fp's Reason and Fix from what is missing, and returns fp.
func (l *Lacks) Fill(fp Fingerprint) Fingerprint {
	fp.Reason, fp.Fix = strings.Join(l.reasons, "; "), strings.Join(l.fixes, "; ")
	return fp
}
