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
// Which variant speaks for a system is the caller's stated preference
// (Options.Preferred), never the order of a command line or a file. The
// answer is for the user's host first: given which systems can run there
// (Options.Host, from a run's fingerprints or the host's drivers), only
// those are ranked, and the others stand apart with what they would need
// and where they would stand; a published bound of another quantity is an
// interval, never a point; and a variant that does not represent its
// system (QEMU under TCG) says so wherever its figures reach. And the
// faces only render: an Evaluation carries every fact they show (reasons and
// fixes per variant, warnings) and Recommend is the one recommendation, for
// the CLI and the MCP server alike.
package evaluate
