// Package stats turns samples into the figures the harness reports: the
// median with its distribution-free confidence interval, percentiles only
// where the sample supports them, the stopping rule of a repeated
// measurement, the shape of a sample, a least-squares slope with its
// interval, and the drift between a loop's first and last tenth.
//
// Its opinions, after golang.org/x/perf/benchmath: a figure carries its
// warnings (too few samples, a wide interval, two modes); no distribution
// is assumed; a measurement stops for a stated reason, recorded with it.
// It does no I/O.
package stats
