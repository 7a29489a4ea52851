// Package measure is the harness that turns real runtimes into measured
// figures for the agent-native axes, on the user's own host.
//
// Its opinions: the harness, never the sandbox, owns the clock (readiness is
// the moment the harness reads the probe's ready line, on its own monotonic
// clock); every result carries its raw samples, its settings and the
// warnings a reader needs; a failure is a result with a cause, not a hole;
// and whatever a measurement created is destroyed whether it succeeded,
// failed, timed out or was interrupted.
//
// Drivers plug in behind package driver's small Driver interface: a driver
// fingerprints itself (available, or unavailable with the precise reason
// and the fix), states its capabilities as data, starts a sandbox whose
// entry point is the probe, and destroys it.
package measure
