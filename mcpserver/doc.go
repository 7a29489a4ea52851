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
// The server only reads: the catalog, driver fingerprints and saved results
// files. It never starts a measurement (that takes minutes and root
// privileges); run `agentic-eval vms measure` and hand the results file to
// the evaluate and recommend tools instead.
package mcpserver
