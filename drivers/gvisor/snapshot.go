package gvisor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/agentic-eval/agentic-eval/internal/sandboxio"
	"github.com/agentic-eval/agentic-eval/measure"
)

// Snapshot runs `runsc checkpoint --image-path=DIR ID`: the sandbox's
// memory and kernel state go to dir (checkpoint.img, pages.img,
// pages_meta.img) and the sandbox stops. It still needs Destroy.
func (d *Driver) Snapshot(ctx context.Context, sb measure.Sandbox, dir string) (measure.Snapshot, error) {
	s, ok := sb.(*sandbox)
	if !ok || s.d != d {
		return measure.Snapshot{}, fmt.Errorf("snapshot gvisor sandbox %s: not a sandbox of driver %s", sb.ID(), d.Variant())
	}
	abs, err := sandboxio.SnapshotDir(dir)
	if err != nil {
		return measure.Snapshot{}, fmt.Errorf("snapshot gvisor sandbox %s: %w", s.id, err)
	}
	if _, err := d.runsc(ctx, "checkpoint", "--image-path="+abs, s.id); err != nil {
		return measure.Snapshot{}, fmt.Errorf("snapshot gvisor sandbox %s: %w", s.id, err)
	}
	n, err := sandboxio.DirBytes(abs)
	if err != nil {
		return measure.Snapshot{}, fmt.Errorf("snapshot gvisor sandbox %s: size of %s: %w", s.id, abs, err)
	}
	return measure.Snapshot{Dir: abs, Bytes: n}, nil
}

// Restore writes a new bundle for spec (same probe, the new ID as
// hostname: runsc takes the hostname from the new spec), hands the harness
// new pipes and runs `runsc restore --detach --image-path=DIR --bundle B
// ID`. The restored probe's stdin and stdout are the new pipes: runsc
// restore gives the restored container the stdio of the restore command,
// as run does. One image restores any number of times.
func (d *Driver) Restore(ctx context.Context, snap measure.Snapshot, spec measure.Spec) (measure.Sandbox, error) {
	if _, err := os.Stat(filepath.Join(snap.Dir, "checkpoint.img")); err != nil {
		return nil, fmt.Errorf("restore gvisor sandbox %s: no checkpoint image: %w", spec.ID, err)
	}
	sb, err := d.launch(ctx, spec, "restore", func(bundle string) []string {
		return []string{"restore", "--detach", "--image-path=" + snap.Dir, "--bundle", bundle, spec.ID}
	})
	if err != nil {
		return nil, fmt.Errorf("restore gvisor sandbox %s from %s: %w", spec.ID, snap.Dir, err)
	}
	return sb, nil
}
