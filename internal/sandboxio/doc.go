// Package sandboxio holds the few host-side chores that drivers which run
// a sandbox as a child process do alike: the pair of pipes that carries the
// probe's stdin and stdout between the runtime's command and the harness,
// and the directory a snapshot is written to.
//
// Its opinion: share the chore, not the driver. What differs between
// runtimes (how a command is run, where its own errors go, what a snapshot
// holds) stays in each driver; only what is the same to the letter is here.
// Pipes, not files, carry the probe's output, so that the harness reads its
// ready line as it is written.
package sandboxio
