// Package bench holds the harness's own performance benchmarks: how much the
// harness adds to what it measures, and what it costs to hold a fleet. Its
// opinion: speed and memory targets are met in benchmarks measured side by
// side in one run, never in timed test assertions on a noisy machine. The
// figures go in the README with the command that reproduces them.
package bench
