// Package residue finds what a run left on the host: mounts, cgroups,
// processes and paths whose names carry the run's prefix ("ae-<run>").
//
// Its opinion: "nothing left behind" is a claim to prove, not to assume.
// Every object a run creates carries its name prefix, so a scan by prefix
// over the mount table, every cgroup hierarchy, the process table and the
// given paths sees whatever survived a failure, a timeout or an interrupt.
// Tests use a Report to show a run left nothing; the harness uses it after
// an interrupt to say what remains. The package only looks; removing is
// the driver's job (measure.Sweeper), since only it knows how (a container
// is removed through its runtime, not by rmdir on its cgroup).
//
// Matching is done by pure functions (MatchMounts, MatchProcess) tested
// on a recorded mount table and command line (testdata/); the scans that read /proc and /sys/fs/cgroup are tested on
// the real host.
package residue
