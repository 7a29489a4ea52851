// Package app is agentic-eval as an application: every request a user or
// an agent makes of it (resolve variants, doctor, measure, read results,
// evaluate, recommend, reap, measure a fleet), done once, so that each face
// (the command line, the MCP server) only converts its input and renders
// what comes back.
//
// Its opinions: one rule for each question a face asks (one naming rule for
// variants, one parse of a weighting, one way to read a results file), so
// that the same bad input gets the same one-line error everywhere; the host
// is asked once (each driver is fingerprinted once per request, and the
// fingerprint travels with the driver); and the faces never reach a driver,
// the registry or the harness themselves.
package app
