// Package results is the results document: what a run measured, with its
// settings, its host and, per variant, its raw samples, summaries,
// failures and their classes; the fleet set that gathers many hosts'
// documents; the schema that versions them; and the one safe way to read
// them.
//
// Its opinions: a document holds raw samples beside every summary, so that
// a run can be re-scored or compared later; vocabulary is typed (phases,
// failure classes, stop reasons) and every value a reader may meet is
// named here; a change that breaks readers bumps the schema, and a reader
// refuses a schema it does not know. Packages that only read results
// (evaluate, rubric, compare, report, the faces) import this package,
// never the harness.
//
// Reading treats a path as untrusted input: a path from a command line or
// from an agent names something that may be anything, so the reader proves
// it is what it claims before it reads a byte. It never blocks on what it
// opens (non-blocking open, no controlling terminal), refuses anything but
// a regular file (FIFOs, devices, sockets, directories) by looking at the
// opened descriptor, not the name, caps the size before and while reading,
// takes exactly one JSON document with nothing after it, and accepts it
// only under a schema it knows. Optionally it reads only inside allowed
// directories, symlinks resolved. Its errors are one line naming the path
// and the rule broken, and never echo the file's content: a file that is
// not ours is "not an agentic-eval results document", whatever it holds.
package results
