package rubric

import (
	"fmt"
	"strings"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/vms"
)

// An emulated variant is not the system. A driver marks a variant whose
// figures do not represent its system: today QEMU under TCG, whose
// fingerprint records the accelerator "tcg" in its Details and carries the
// TCG warning. Every score made from such a variant carries the caveat in
// its basis and in AxisScore.Emulated, under every rubric version; from
// rubric/3 on, its isolation is classified as what it is, software
// emulation (vms.BoundarySoftwareEmulation), not the hardware
// virtualization its driver declares.

// tcgWarningPrefix opens the warning the QEMU driver's TCG variant carries
// (drivers/qemu.TCGWarning), for documents whose Details lack the
// accelerator.
const tcgWarningPrefix = "TCG software emulation"

// SoftwareEmulated reports whether a fingerprint is of a variant that runs
// its guest under software emulation (QEMU's TCG).
func SoftwareEmulated(fp driver.Fingerprint) bool {
	if strings.EqualFold(fp.Details["accelerator"], "tcg") {
		return true
	}
	for _, w := range fp.Warnings {
		if strings.HasPrefix(w, tcgWarningPrefix) {
			return true
		}
	}
	return false
}

// Emulation is the caveat of a variant that does not represent its system,
// in one sentence, or "" for a representative variant.
func Emulation(vr results.VariantResult) string {
	if !SoftwareEmulated(vr.Fingerprint) {
		return ""
	}
	return fmt.Sprintf("%s is TCG software emulation, not %s: its figures do not represent %s under hardware virtualization (KVM)", vr.Variant, vr.System, vr.System)
}

// EmulationNote is the short form of the caveat that every score of an
// emulated variant carries, or "".
func EmulationNote(vr results.VariantResult) string {
	if !SoftwareEmulated(vr.Fingerprint) {
		return ""
	}
	return fmt.Sprintf("under TCG software emulation (%s): not representative of %s", vr.Variant, vr.System)
}

// ClassifyBoundary is the isolation class of vr given the class b its probe
// observed or its driver declared: hardware virtualization under software
// emulation is software emulation (the second result says it was
// reclassified). Constraints test this class, whatever the rubric version.
func ClassifyBoundary(vr results.VariantResult, b vms.Boundary) (vms.Boundary, bool) {
	if b == vms.BoundaryHardware && SoftwareEmulated(vr.Fingerprint) {
		return vms.BoundarySoftwareEmulation, true
	}
	return b, false
}
