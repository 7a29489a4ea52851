// Package mcpserver speaks agentic-eval to agents natively: an MCP server
// (Model Context Protocol, over stdio or any transport of the official Go
// SDK) whose tools answer an agent's own question, "which VM or sandbox
// system should run my fleet of short-lived sandboxes?".
//
// Its opinions: a tool is described for the agent that chooses it, not for
// the programmer who wrote it, so every description says when to call the
// tool and what the answer means; every input and output is typed, with a
// JSON schema derived from the Go types by the SDK; a mistake in the input
// is a tool error whose text says what was wrong and what is valid (the very
// texts of package vms), never a protocol failure or a crash; and every
// score says where it came from, curated or measured, so an agent never
// mistakes a judgment for a measurement.
//
// Every tool says what it does to the host, and its annotations match. By
// default the server only reads: the catalog, driver fingerprints (doctor,
// which runs version commands, criu check and possibly a QEMU trial boot)
// and saved results files, which are also its resources. Measuring takes
// minutes and root, so the measure tool exists only when the operator asks
// for it (Options.AllowMeasure): one bounded run at a time, cancellable,
// reporting progress, leaving nothing behind.
//
// A recommendation respects hard constraints before weights: a system that
// fails one, or cannot be had, is not recommended, and a limit with no
// figure to test it is untested, never passed.
//
// Transports: stdio through this package's own framing (StdioTransport),
// which answers malformed frames instead of dying of them, or the SDK's
// streamable HTTP on loopback behind a bearer token (ServeHTTP).
package mcpserver
