package docker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/docker/docker/api/types/checkpoint"
	"github.com/docker/docker/api/types/container"

	"github.com/agentic-eval/agentic-eval/criu"
	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/internal/sandboxio"
)

// checkpointSuffix makes a sandbox's checkpoint name: "<sandbox id>-checkpoint".
const checkpointSuffix = "-checkpoint"

// CheckpointError is a checkpoint the daemon refused or failed, with
// CRIU's own cause when the daemon's message names a CRIU log this host
// can read.
type CheckpointError struct {
	ID    string // the sandbox
	Cause string // CRIU's first error line, "" when unknown
	// After says what became of the container: still running, or removed
	// so that no half-state remains.
	After string
	Err   error // the daemon's error
}

func (e *CheckpointError) Error() string {
	s := "checkpoint docker sandbox " + e.ID + ": "
	if e.Cause != "" {
		s += "criu failed: " + e.Cause + "; daemon: "
	}
	s += e.Err.Error()
	if e.After != "" {
		s += "; " + e.After
	}
	return s
}

// Unwrap is the daemon's error and, typed from CRIU's own cause where the
// failure's text is read, the errno whose C library text the cause holds
// (driver.PrintedKinds): CRIU's log can say "No space left on device"
// where the runtime's message does not.
func (e *CheckpointError) Unwrap() []error {
	return append([]error{e.Err}, driver.PrintedKinds(e.Cause)...)
}

// Snapshot asks the Engine for a checkpoint of the running container
// (POST /containers/{id}/checkpoints, CheckpointDir dir, Exit false: the
// container keeps running and still needs Destroy). The daemon's runc
// dumps it through CRIU into dir/<sandbox id>-checkpoint, the returned
// Snapshot's Dir. On failure the daemon removes what it wrote; the error
// carries the daemon's message and, when the daemon is local, CRIU's own
// first error from the log the message names; the container is left
// running, or removed when it is not.
func (s *sandbox) Snapshot(ctx context.Context, dir string) (driver.Snapshot, error) {
	d := s.d
	abs, err := sandboxio.SnapshotDir(dir)
	if err != nil {
		return driver.Snapshot{}, fmt.Errorf("snapshot docker sandbox %s: %w", s.name, err)
	}
	name := s.name + checkpointSuffix
	err = s.cli.CheckpointCreate(ctx, s.id, checkpoint.CreateOptions{CheckpointID: name, CheckpointDir: abs, Exit: false})
	if err != nil {
		cerr := &CheckpointError{ID: s.name, Err: daemonError(err)}
		if p := criuLogPath(err.Error()); p != "" && socketPath(d.host) != "" {
			if b, rerr := os.ReadFile(p); rerr == nil {
				cerr.Cause = criu.LogError(string(b))
			}
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		cerr.After = s.settleCheckpointFailure(cctx)
		return driver.Snapshot{}, cerr
	}
	snapDir := filepath.Join(abs, name)
	n, err := sandboxio.DirBytes(snapDir)
	if err != nil {
		return driver.Snapshot{}, fmt.Errorf("snapshot docker sandbox %s: size of %s: %w", s.name, snapDir, err)
	}
	return driver.Snapshot{Dir: snapDir, Bytes: n}, nil
}

// settleCheckpointFailure leaves the container of a failed checkpoint
// running or gone, and says which.
func (s *sandbox) settleCheckpointFailure(ctx context.Context) string {
	info, err := s.cli.ContainerInspect(ctx, s.id)
	switch {
	case isNotFound(err):
		return "the container is gone"
	case err == nil && info.State != nil && info.State.Running && !info.State.Paused:
		return "the container is still running"
	case err == nil && info.State != nil && info.State.Paused:
		if s.cli.ContainerUnpause(ctx, s.id) == nil {
			if info2, err := s.cli.ContainerInspect(ctx, s.id); err == nil && info2.State != nil && info2.State.Running && !info2.State.Paused {
				return "the container, left paused, was unpaused and is running"
			}
		}
	}
	status := "in an unknown state"
	if err == nil && info.State != nil {
		status = info.State.Status
	}
	if derr := s.Destroy(ctx); derr != nil {
		return fmt.Sprintf("the container was left %s and could not be removed: %v", status, derr)
	}
	return fmt.Sprintf("the container, left %s, was removed", status)
}

// Restore creates a new container for spec from the run's image, as Start
// does, attaches to it, hands the streams to spec.Attach, and starts it
// from the checkpoint (StartOptions CheckpointID and CheckpointDir: the
// Snapshot's Dir is CheckpointDir/CheckpointID). One checkpoint restores
// any number of times.
func (d *Driver) Restore(ctx context.Context, snap driver.Snapshot, spec driver.Spec) (driver.Sandbox, error) {
	if fi, err := os.Stat(snap.Dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("restore docker sandbox %s: no checkpoint at %q: %v", spec.ID, snap.Dir, err)
	}
	opts := container.StartOptions{CheckpointID: filepath.Base(snap.Dir), CheckpointDir: filepath.Dir(snap.Dir)}
	sb, err := d.launch(ctx, spec, opts)
	if err != nil {
		if p := criuLogPath(err.Error()); p != "" && socketPath(d.host) != "" {
			if b, rerr := os.ReadFile(p); rerr == nil {
				if cause := criu.LogError(string(b)); cause != "" {
					err = driver.Printed(fmt.Errorf("criu failed: %s; daemon: %w", cause, err), cause)
				}
			}
		}
		return nil, fmt.Errorf("restore docker sandbox %s from %s: %w", spec.ID, snap.Dir, err)
	}
	return sb, nil
}
