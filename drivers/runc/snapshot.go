package runc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/agentic-eval/agentic-eval/criu"
	"github.com/agentic-eval/agentic-eval/internal/sandboxio"
	"github.com/agentic-eval/agentic-eval/measure"
)

// criuWorkDir is the directory, inside a snapshot's image directory, where
// CRIU writes its logs (dump.log) during `runc checkpoint`. Without
// --work-path runc would put them under its state root.
const criuWorkDir = "work"

// restoreWorkDir is CRIU's work directory for a restore (restore.log),
// inside the restored sandbox's Spec.Dir: several restores of one image
// each keep their own log.
const restoreWorkDir = "criu-restore"

// CRIUError is a runc checkpoint or restore that failed, with CRIU's own
// cause read from its log.
type CRIUError struct {
	Op    string // "checkpoint" or "restore"
	ID    string // the container
	Cause string // CRIU's first error line, "" when its log had none
	// After says what became of the container after a failed checkpoint:
	// still running, or removed so that no half-state remains.
	After string
	Err   error // runc's own failure (a *CommandError)
}

func (e *CRIUError) Error() string {
	s := fmt.Sprintf("runc %s %s: ", e.Op, e.ID)
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

func (e *CRIUError) Unwrap() error { return e.Err }

// criuCause reads CRIU's log name (or, failing that, any log) in work and
// returns its first error line.
func criuCause(work, name string) string {
	if b, err := os.ReadFile(filepath.Join(work, name)); err == nil {
		if c := criu.LogError(string(b)); c != "" {
			return c
		}
	}
	logs, _ := filepath.Glob(filepath.Join(work, "*.log"))
	for _, l := range logs {
		if b, err := os.ReadFile(l); err == nil {
			if c := criu.LogError(string(b)); c != "" {
				return c
			}
		}
	}
	return ""
}

// Snapshot runs `runc checkpoint --image-path DIR --work-path DIR/work ID`:
// CRIU dumps the container's processes (memory included) into dir, and
// runc then removes the container. Everything the checkpoint writes (its
// images, CRIU's log, runc's descriptors.json) is under dir.
//
// When the checkpoint fails, the error carries CRIU's own cause from its
// log, and the container is left either running (the sandbox then needs
// Destroy as usual) or removed: a container CRIU left frozen is resumed,
// and one that can be neither resumed nor found running is removed.
func (d *Driver) Snapshot(ctx context.Context, sb measure.Sandbox, dir string) (measure.Snapshot, error) {
	s, ok := sb.(*sandbox)
	if !ok || s.d != d {
		return measure.Snapshot{}, fmt.Errorf("snapshot runc sandbox %s: not a sandbox of driver %s", sb.ID(), d.Variant())
	}
	abs, err := sandboxio.SnapshotDir(dir)
	if err != nil {
		return measure.Snapshot{}, fmt.Errorf("snapshot runc sandbox %s: %w", s.id, err)
	}
	work := filepath.Join(abs, criuWorkDir)
	if _, err := d.run(ctx, "checkpoint", "--image-path", abs, "--work-path", work, s.id); err != nil {
		cerr := &CRIUError{Op: "checkpoint", ID: s.id, Cause: criuCause(work, "dump.log"), Err: err}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		after, serr := d.settleCheckpointFailure(cctx, s)
		cerr.After = after
		if serr != nil {
			return measure.Snapshot{}, errors.Join(cerr, serr)
		}
		return measure.Snapshot{}, cerr
	}
	// The image, without CRIU's work directory (its log).
	n, err := sandboxio.DirBytes(abs, criuWorkDir)
	if err != nil {
		return measure.Snapshot{}, fmt.Errorf("snapshot runc sandbox %s: size of %s: %w", s.id, abs, err)
	}
	return measure.Snapshot{Dir: abs, Bytes: n}, nil
}

// settleCheckpointFailure leaves the container of a failed checkpoint
// either running or gone, and says which.
func (d *Driver) settleCheckpointFailure(ctx context.Context, s *sandbox) (string, error) {
	st, err := s.state(ctx)
	switch {
	case err != nil && notExist(err):
		return "the container is gone", nil
	case err == nil && st.Status == "running":
		return "the container is still running", nil
	case err == nil && st.Status == "paused":
		// CRIU froze it and did not thaw it.
		if _, rerr := d.run(ctx, "resume", s.id); rerr == nil {
			if st2, serr := s.state(ctx); serr == nil && st2.Status == "running" {
				return "the container, left paused, was resumed and is running", nil
			}
		}
	}
	status := "unknown"
	if err == nil {
		status = st.Status
	}
	if rerr := d.remove(ctx, s.id, s.bundle); rerr != nil {
		return fmt.Sprintf("the container was left %s and could not be removed", status),
			fmt.Errorf("remove runc container %s after a failed checkpoint: %w", s.id, rerr)
	}
	return fmt.Sprintf("the container, left %s, was removed", status), nil
}

// Restore writes a new bundle for spec as Start does, hands the harness new
// pipes, and runs `runc restore --detach --image-path DIR --work-path
// SPECDIR/criu-restore --bundle NEWBUNDLE ID`. runc gives the restored
// process the restore command's stdio in place of the pipes it had at the
// checkpoint (descriptors.json), so the restored probe speaks on the new
// pipes. One image restores any number of times.
func (d *Driver) Restore(ctx context.Context, snap measure.Snapshot, spec measure.Spec) (measure.Sandbox, error) {
	if _, err := os.Stat(filepath.Join(snap.Dir, "inventory.img")); err != nil {
		return nil, fmt.Errorf("restore runc sandbox %s: no CRIU image in %s: %w", spec.ID, snap.Dir, err)
	}
	if spec.Dir == "" {
		return nil, fmt.Errorf("restore runc sandbox %s: spec needs Dir", spec.ID)
	}
	work, err := filepath.Abs(filepath.Join(spec.Dir, restoreWorkDir))
	if err != nil {
		return nil, fmt.Errorf("restore runc sandbox %s: %w", spec.ID, err)
	}
	sb, err := d.launch(ctx, spec, func(bundle string) []string {
		return []string{"restore", "--detach", "--image-path", snap.Dir, "--work-path", work, "--bundle", bundle, spec.ID}
	})
	if err != nil {
		if cause := criuCause(work, "restore.log"); cause != "" {
			err = &CRIUError{Op: "restore", ID: spec.ID, Cause: cause, Err: err}
		}
		return nil, fmt.Errorf("restore runc sandbox %s from %s: %w", spec.ID, snap.Dir, err)
	}
	return sb, nil
}
