package qemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
)

const (
	stateFileName = "state.mig"    // the migration stream
	metaFileName  = "qemu.json"    // the bootConfig it needs
	maxBandwidth  = int64(1) << 40 // bytes/s: "as fast as the disk takes it"
	pollEvery     = 5 * time.Millisecond
)

// Snapshot migrates sb's whole state (memory, devices, CPU) into
// dir/state.mig through `exec:cat > FILE`, the file: transport being refused
// by QEMU 7.2. When it returns, the source VM is paused (QEMU's
// "postmigrate" state); Destroy it as usual.
func (v *vm) Snapshot(ctx context.Context, dir string) (driver.Snapshot, error) {
	snap, err := v.snapshot(ctx, dir)
	if err != nil {
		return driver.Snapshot{}, fmt.Errorf("snapshot qemu vm %s: %w", v.id, err)
	}
	return snap, nil
}

func (v *vm) snapshot(ctx context.Context, dir string) (_ driver.Snapshot, err error) {
	if v.mon == nil {
		return driver.Snapshot{}, errNoMonitor
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return driver.Snapshot{}, err
	}
	state := filepath.Join(dir, stateFileName)
	if strings.ContainsAny(state, "'\n") {
		return driver.Snapshot{}, fmt.Errorf("snapshot path %q cannot be quoted for exec:", state)
	}
	defer func() {
		if err != nil {
			// Before the partial stream is removed, which frees the space:
			// QEMU reports a full disk as a broken pipe to cat.
			err = withDiskSpace(dir, err)
			os.Remove(state)
			os.Remove(filepath.Join(dir, metaFileName))
		}
	}()
	meta, err := json.MarshalIndent(v.cfg, "", "  ")
	if err != nil {
		return driver.Snapshot{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, metaFileName), meta, 0o644); err != nil {
		return driver.Snapshot{}, err
	}
	if err := v.mon.exec(ctx, "migrate-set-parameters", map[string]any{"max-bandwidth": maxBandwidth}); err != nil {
		return driver.Snapshot{}, err
	}
	if err := v.mon.exec(ctx, "migrate", map[string]any{"uri": "exec:cat > '" + state + "'"}); err != nil {
		return driver.Snapshot{}, err
	}
	for {
		m, err := v.mon.queryMigrate(ctx)
		if err != nil {
			return driver.Snapshot{}, v.cancelMigration(err)
		}
		switch m.Status {
		case "completed":
			fi, err := os.Stat(state)
			if err != nil {
				return driver.Snapshot{}, err
			}
			return driver.Snapshot{Dir: dir, Bytes: fi.Size()}, nil
		case "failed", "cancelled":
			// QEMU's description of the failure, over QMP, is its output too.
			return driver.Snapshot{}, v.withLog(driver.Printed(fmt.Errorf("migration %s: %s", m.Status, m.ErrorDesc), m.ErrorDesc))
		}
		select {
		case <-ctx.Done():
			return driver.Snapshot{}, v.cancelMigration(ctx.Err())
		case <-v.exited:
			return driver.Snapshot{}, v.withLog(errors.New("qemu exited during the migration"))
		case <-time.After(pollEvery):
		}
	}
}

// lowSpace is the free space under which a failed migration is taken to
// have filled the file system.
const lowSpace = 4 << 20

// withDiskSpace wraps err with syscall.ENOSPC when the file system under dir
// has (almost) no space left, so that the failure reads as the host's.
func withDiskSpace(dir string, err error) error {
	var st syscall.Statfs_t
	if serr := syscall.Statfs(dir, &st); serr != nil {
		return err
	}
	if free := int64(st.Bavail) * int64(st.Bsize); free < lowSpace {
		return fmt.Errorf("%w (the file system of %s has %d bytes free: %w)", err, dir, free, syscall.ENOSPC)
	}
	return err
}

// cancelMigration stops an unfinished migration (best effort: the QMP
// connection may be gone) and returns cause.
func (v *vm) cancelMigration(cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = v.mon.exec(ctx, "migrate_cancel", nil)
	return cause
}

// Restore starts a new QEMU on the same machine with -incoming 'exec:cat
// FILE', its console (or, on the image, its agent port) on new pipes handed
// to spec.Attach, and resumes the guest if QEMU left it paused. A guest on
// the image gets the same read-only disk and devices, and a guest agent
// socket of its own. One snapshot restores any number of times.
func (d *Driver) Restore(ctx context.Context, snap driver.Snapshot, spec driver.Spec) (driver.Sandbox, error) {
	v, err := d.restore(ctx, snap, spec)
	if err != nil {
		return nil, fmt.Errorf("restore qemu vm %s from %s: %w", spec.ID, snap.Dir, err)
	}
	return v.sandbox(), nil
}

func (d *Driver) restore(ctx context.Context, snap driver.Snapshot, spec driver.Spec) (_ *vm, err error) {
	state := filepath.Join(snap.Dir, stateFileName)
	if err := regularFile(state); err != nil {
		return nil, err
	}
	if strings.ContainsAny(state, "'\n") {
		return nil, fmt.Errorf("snapshot path %q cannot be quoted for exec:", state)
	}
	b, err := os.ReadFile(filepath.Join(snap.Dir, metaFileName))
	if err != nil {
		return nil, err
	}
	var cfg bootConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("parse %s: %w", metaFileName, err)
	}
	if cfg.Accel != d.accel {
		return nil, fmt.Errorf("the snapshot was taken under %s, this driver runs %s", cfg.Accel, d.accel)
	}
	need := []string{cfg.QEMU, cfg.Kernel, cfg.Initrd}
	if cfg.Disk != "" {
		// The incoming side has the same devices, the same disk among them.
		need = append(need, cfg.Disk)
	}
	for _, p := range need {
		if err := regularFile(p); err != nil {
			return nil, fmt.Errorf("the snapshot's machine needs %w", err)
		}
	}
	v, err := d.launch(ctx, spec, cfg, "exec:cat '"+state+"'")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), quitGrace+termGrace+5*time.Second)
			defer cancel()
			if derr := v.Destroy(dctx); derr != nil {
				err = errors.Join(err, derr)
			}
		}
	}()
	for {
		s, err := v.mon.queryStatus(ctx)
		if err != nil {
			return nil, v.withLog(err)
		}
		switch s.Status {
		case "running":
			return v, nil
		case "inmigrate", "finish-migrate", "restore-vm":
			// still loading
		case "paused", "prelaunch", "postmigrate":
			if err := v.mon.exec(ctx, "cont", nil); err != nil {
				return nil, v.withLog(err)
			}
		default: // internal-error, shutdown, guest-panicked, io-error, ...
			return nil, v.withLog(fmt.Errorf("restored vm is %s", s.Status))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-v.exited:
			return nil, v.withLog(errors.New("qemu exited while loading the snapshot"))
		case <-time.After(pollEvery):
		}
	}
}
