package ociruntime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/agentic-eval/agentic-eval/criu"
	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/internal/sandboxio"
	"github.com/agentic-eval/agentic-eval/oci"
)

// criuWorkDir is the directory, inside a snapshot's image directory, where
// CRIU writes its logs (dump.log) during a checkpoint. Without --work-path
// the runtime would put them under its state root.
const criuWorkDir = "work"

// restoreWorkDir is CRIU's work directory for a restore (restore.log),
// inside the restored sandbox's Spec.Dir: several restores of one image
// each keep their own log.
const restoreWorkDir = "criu-restore"

// CheckpointError is a checkpoint or restore that failed, with CRIU's own
// cause read from its log where there is one, and what became of the
// container.
type CheckpointError struct {
	Op    string // "checkpoint" or "restore"
	ID    string // the container
	Cause string // CRIU's first error line, "" when its log had none
	After string // what became of the container, after a failed checkpoint
	Err   error  // the runtime's own failure (an *oci.Error)
}

func (e *CheckpointError) Error() string {
	s := e.Op + " " + e.ID + ": "
	if e.Cause != "" {
		s += "criu failed: " + e.Cause
	} else {
		s += e.Err.Error()
	}
	if e.After != "" {
		s += "; " + e.After
	}
	return s
}

// Unwrap is the runtime's failure and, typed from CRIU's own cause where the
// failure's text is read, the errno whose C library text the cause holds
// (driver.PrintedKinds): CRIU's log can say "No space left on device"
// where the runtime's message does not.
func (e *CheckpointError) Unwrap() []error {
	return append([]error{e.Err}, driver.PrintedKinds(e.Cause)...)
}

// criuCause reads CRIU's log name (or, failing that, any log) in work and
// returns its first error line.
func criuCause(work, name string) string {
	logs, _ := filepath.Glob(filepath.Join(work, "*.log"))
	for _, l := range append([]string{filepath.Join(work, name)}, logs...) {
		if b, err := os.ReadFile(l); err == nil {
			if c := criu.LogError(string(b)); c != "" {
				return c
			}
		}
	}
	return ""
}

func (d *Driver) checkpointOpts(image, work string) oci.CheckpointOpts {
	o := oci.CheckpointOpts{ImagePath: image}
	if d.cfg.Checkpoint == CRIU {
		o.WorkPath = work
	}
	return o
}

// Snapshot checkpoints the container, memory included, into dir. After a
// failure the container is left running, resumed, or removed, and the
// error says which.
func (s *sandbox) Snapshot(ctx context.Context, dir string) (driver.Snapshot, error) {
	if s.d.cfg.Checkpoint == NoCheckpoint {
		return driver.Snapshot{}, driver.Cannot(fmt.Errorf("snapshot %s sandbox %s: %s does not checkpoint", s.d.cfg.Variant, s.id, s.d.cfg.Name))
	}
	abs, err := sandboxio.SnapshotDir(dir)
	if err != nil {
		return driver.Snapshot{}, fmt.Errorf("snapshot %s sandbox %s: %w", s.d.cfg.Variant, s.id, err)
	}
	work := filepath.Join(abs, criuWorkDir)
	if err := s.rt.Checkpoint(ctx, s.id, s.d.checkpointOpts(abs, work)); err != nil {
		cerr := &CheckpointError{Op: "checkpoint", ID: s.id, Cause: criuCause(work, "dump.log"), Err: err}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		after, serr := s.settleCheckpointFailure(cctx)
		cerr.After = after
		return driver.Snapshot{}, fmt.Errorf("snapshot %s sandbox %s: %w", s.d.cfg.Variant, s.id, errors.Join(cerr, serr))
	}
	n, err := sandboxio.DirBytes(abs, criuWorkDir)
	if err != nil {
		return driver.Snapshot{}, fmt.Errorf("snapshot %s sandbox %s: size of %s: %w", s.d.cfg.Variant, s.id, abs, err)
	}
	return driver.Snapshot{Dir: abs, Bytes: n}, nil
}

// settleCheckpointFailure leaves the container of a failed checkpoint
// running, or removed, never half-frozen, and says which.
func (s *sandbox) settleCheckpointFailure(ctx context.Context) (string, error) {
	st, err := s.rt.State(ctx, s.id)
	switch {
	case err != nil && oci.IsNotExist(err):
		return "the container is gone", nil
	case err == nil && st.Status == "running":
		return "the container is still running", nil
	case err == nil && st.Status == "paused":
		if s.rt.Resume(ctx, s.id) == nil {
			if st2, serr := s.rt.State(ctx, s.id); serr == nil && st2.Status == "running" {
				return "the container, left paused, was resumed and is running", nil
			}
		}
	}
	status := "unknown"
	if err == nil {
		status = st.Status
	}
	if rerr := s.d.remove(ctx, s.rt, s.id); rerr != nil {
		return fmt.Sprintf("the container was left %s and could not be removed", status),
			fmt.Errorf("remove container %s after a failed checkpoint: %w", s.id, rerr)
	}
	return fmt.Sprintf("the container, left %s, was removed", status), nil
}

// imageMarker is the file every checkpoint image of the kind holds.
func (d *Driver) imageMarker() string {
	if d.cfg.Checkpoint == CRIU {
		return "inventory.img"
	}
	return "checkpoint.img"
}

// Restore starts a new container from snap, with fresh pipes handed to
// spec.Attach; one snapshot restores any number of times.
func (d *Driver) Restore(ctx context.Context, snap driver.Snapshot, spec driver.Spec) (driver.Sandbox, error) {
	if d.cfg.Checkpoint == NoCheckpoint {
		return nil, driver.Cannot(fmt.Errorf("restore %s sandbox %s: %s does not restore", d.cfg.Variant, spec.ID, d.cfg.Name))
	}
	if _, err := os.Stat(filepath.Join(snap.Dir, d.imageMarker())); err != nil {
		return nil, fmt.Errorf("restore %s sandbox %s: no checkpoint image in %s: %w", d.cfg.Variant, spec.ID, snap.Dir, err)
	}
	if spec.Dir == "" {
		return nil, fmt.Errorf("restore %s sandbox %s: spec needs Dir", d.cfg.Variant, spec.ID)
	}
	work, err := filepath.Abs(filepath.Join(spec.Dir, restoreWorkDir))
	if err != nil {
		return nil, fmt.Errorf("restore %s sandbox %s: %w", d.cfg.Variant, spec.ID, err)
	}
	o := d.checkpointOpts(snap.Dir, work)
	sb, err := d.launch(ctx, spec, "restore", func(bundle string) []string { return oci.RestoreArgs(spec.ID, bundle, o) })
	if err != nil {
		if cause := criuCause(work, "restore.log"); cause != "" {
			err = &CheckpointError{Op: "restore", ID: spec.ID, Cause: cause, Err: err}
		}
		return nil, fmt.Errorf("restore %s sandbox %s from %s: %w", d.cfg.Variant, spec.ID, snap.Dir, err)
	}
	return sb, nil
}
