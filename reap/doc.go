// Package reap keeps the record of every measurement run and removes what
// runs that were killed left behind.
//
// Its opinions: a run records itself (its process, its boot, its scratch
// directory) before it creates anything, and each sandbox before it asks a
// runtime for it, so that nothing it makes is ever unnamed; a record is
// read as untrusted input (a regular file, bounded, one document, the
// run's own prefix on every line) and nothing is removed on the word of a
// malformed one; and the reap of a dead run is a watch, not one listing: a
// daemon that still held the dead client's requests can create objects
// after the first listing, so the record stays until listings have found
// nothing for a while and the daemon holds nothing of a gone client.
//
// Runtimes are reached only through the driver contract's Reaper and
// InFlighter abilities.
package reap
