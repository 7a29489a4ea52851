package driver

import (
	"context"
	"time"
)

// The optional abilities. A driver (or its sandboxes) implements those its
// runtime has; the harness asks for one with a type assertion and records
// "cannot" with the reason where it is missing.

// Preparer is implemented by drivers that need per-run set-up, such as an
// image to import. Prepare runs once before the run's first Start; Close
// runs once at the end of the run, always (success, error, timeout or
// interrupt), and removes everything Prepare made.
type Preparer interface {
	Prepare(ctx context.Context, env RunEnv) error
	Close(ctx context.Context) error
}

// Snapshotter is implemented by sandboxes whose runtime can capture a
// running sandbox's full state, memory included. The sandbox may be stopped
// by it (runsc checkpoint stops it).
type Snapshotter interface {
	Snapshot(ctx context.Context, dir string) (Snapshot, error)
}

// Snapshot is a driver's handle to saved state.
type Snapshot struct {
	Dir   string // where the state lives
	Bytes int64  // its size on disk, when known
}

// Pauser is implemented by sandboxes whose runtime can freeze a running
// sandbox in place and thaw it (the cgroup freezer under runc and crun,
// runsc pause, the Engine's pause, QMP stop and cont): an agent's sandbox
// waiting on the model holds its memory but no CPU. Resume returns once
// the sandbox runs again; a paused sandbox is destroyed like any other
// (Destroy thaws it first where the runtime needs that), and a reap finds
// and removes a paused one a killed run left.
type Pauser interface {
	Pause(ctx context.Context) error
	Resume(ctx context.Context) error
}

// Restorer is implemented by drivers that start a new sandbox from a
// snapshot, possibly many times from one. spec.Attach is called as in
// Start; the restored probe does not print a new ready line, it answers the
// harness's ping.
type Restorer interface {
	Restore(ctx context.Context, snap Snapshot, spec Spec) (Sandbox, error)
}

// Execer is implemented by sandboxes whose runtime can start a further
// process in them (docker exec, runc exec, runsc exec). The harness execs
// the probe binary with probe.ExecFlag and expects its exec-ok line: proof
// that the runtime's exec works here, for the agent-control checklist.
type Execer interface {
	// Exec runs the sandbox's probe (/sandbox-probe inside) with args and
	// returns what it wrote to stdout. ctx bounds it.
	Exec(ctx context.Context, args ...string) ([]byte, error)
}

// Copier is implemented by sandboxes whose runtime has a copy path of its
// own for files in and out by path (Docker's archive API), beside the
// probe's agent protocol. The workload phase times it as exec path
// "runtime" and checks it against the probe: a file one path wrote must be
// the file the other reads.
type Copier interface {
	// CopyIn writes data as the regular file at path (an absolute path
	// whose directory exists in the sandbox), replacing one already there.
	// ctx bounds it.
	CopyIn(ctx context.Context, path string, data []byte) error
	// CopyOut reads the regular file at path. Anything else at path, or a
	// file of more than limit bytes, is an error. ctx bounds it.
	CopyOut(ctx context.Context, path string, limit int64) ([]byte, error)
	// CopyFallback is a directory the copy path reaches in every sandbox
	// of the driver, and why it does, for when the work dir turns out to
	// be out of its reach (a mount the runtime's copy does not see into).
	CopyFallback() (dir, why string)
}

// Reaper is implemented by drivers that can list what a run left behind
// (containers, images, VMs, mounts, cgroups, processes), by ID prefix.
// Tests use it to prove nothing is left; the harness uses it to reap what
// a killed run left.
type Reaper interface {
	// Leftovers lists, one line an object, what runs whose IDs start with
	// prefix left: each line names the object first, and gives its
	// changing state after it in parentheses ("docker container ae-x-000001
	// (3f2a, running)"), so that one object is one object across listings.
	Leftovers(ctx context.Context, prefix string) ([]string, error)
	// Reap removes what Leftovers lists.
	Reap(ctx context.Context, prefix string) error
}

// Settler is implemented by drivers that finish some clean-up in the
// background (the removal of a container whose start was cut short):
// Settle waits until it is done, or ctx ends. The harness settles before a
// run's leftovers are checked.
type Settler interface {
	Settle(ctx context.Context) error
}

// InFlighter is implemented by drivers whose runtime is a daemon that
// keeps handling a request after its client is gone (dockerd finishes the
// creates and starts of a killed client): InFlight lists such requests,
// each by an identity that lasts as long as the request, and names the
// daemon. The reap of a killed run waits until they are done before it
// trusts a listing that finds nothing. The list is the daemon's, not one
// run's: other dead clients' requests are in it too.
type InFlighter interface {
	InFlight(ctx context.Context) (ids []string, daemon string, err error)
}

// Stage is one moment of a sandbox's start as its driver saw it: the named
// step was reached After the driver asked the runtime (Spec.Asking).
// Drivers whose runtime goes through several stages (Kubernetes: accepted,
// scheduled, sandbox created, started, Ready) report them, so that a start
// can be read stage by stage.
type Stage struct {
	Name  string
	After time.Duration
}

// StageReporter is implemented by sandboxes that report the stages of
// their start. Stages is read once, after Start returned.
type StageReporter interface {
	Stages() []Stage
}
