// Package rubric turns raw measured figures into 0.0 to 1.0 scores on the
// catalog's axes.
//
// Its opinion: a score is only as good as the curve behind it, so every
// curve is one documented line, every constant lives in constants.go, and
// the whole mapping carries a version. Re-scoring a saved result with the
// same version gives the same scores. The curves are anchored on the
// reference's definitions (1.0 start-latency = under 100 ms; 1.0 density =
// microVM or container class overhead; 1.0 isolation = hardware
// virtualization with a minimal attack surface). Latency and memory are
// scored on log scales, because an agent feels a tenfold slowdown the same
// way at any magnitude. A score says where it came from: measured,
// checklist, declared, published, or (when nothing was measured) curated.
//
// Two rules of rubric/3 (docs/methodology.md, "The rubric"): bounds are
// bounds, so a published figure of a different quantity scores as the
// interval it allows, never as a point (PublishedScoresWith); and an
// emulated variant is not the system, so every score of QEMU under TCG
// carries that caveat (Emulation) and its isolation is software
// emulation, not hardware virtualization (ClassifyBoundary).
package rubric
