// Package evaluate puts the curated catalog and this host's measurements
// side by side and answers the project's question: on this host, how do the
// systems really compare, and where do measurements contradict the curated
// judgments?
//
// Its opinion: a measured figure outranks a curated claim, but never
// silently. Every axis of the effective profile names its provenance
// (measured, checklist, declared, curated), every disagreement of 0.15 or
// more is flagged with the evidence on both sides, and a system that could
// not be measured keeps its curated row with the reason it was not measured.
package evaluate
