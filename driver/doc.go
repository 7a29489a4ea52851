// Package driver is the contract between the harness and a runtime: the
// small Driver interface every plug-in implements, the optional abilities
// a driver may add (each its own small interface), the spec of a sandbox,
// and the typed errors a driver returns so that a failure is classified by
// what it is, never by how its message is worded.
//
// Its opinions, after Nomad's task drivers and database/sql/driver: a
// driver fingerprints itself and says precisely why it cannot run here and
// what would fix it, naming every missing prerequisite at once;
// capabilities are static data, never a probe of the host; an ability a
// driver lacks is an interface it does not implement, not a method that
// fails; and a driver imports this package and its runtime's client,
// nothing of the harness.
//
// The package does no I/O.
package driver
