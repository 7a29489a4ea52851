package qemu

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
)

// The image's disk: an ext4 file built from the image's unpacked tree with
// mke2fs -d (nothing is mounted on the host), cached beside the guest
// kernel by the image's key, and opened read-only by every VM of every run
// (QEMU's readonly=on; the guest mounts it ro). A build writes a temporary
// file named after its run (.build-ae-<run>-...) under a lock and renames it
// into place, so a disk that exists is complete; a killed build leaves only
// its temporary file, which the next build removes under the lock and a
// sweep of its run lists and removes.
const (
	diskDirName   = "disks"
	diskBuildPfx  = ".build-"
	diskLockName  = ".lock"
	diskFormat    = 1 // bump when the mke2fs options change what a disk holds
	diskBuildTime = 5 * time.Minute
)

var imageKeyRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

// cacheDir is where setup-qemu.sh keeps the kernel, its modules and where
// the driver keeps the image disks: the kernel's directory.
func cacheDir(kernel string) string { return filepath.Dir(kernel) }

// diskName is the cached disk of img.
func diskName(img driver.Image) (string, error) {
	if !imageKeyRE.MatchString(img.Key) {
		return "", fmt.Errorf("image key %q is not 16 hex digits", img.Key)
	}
	return fmt.Sprintf("%s-%d-f%d.ext4", img.Key, img.TarBytes, diskFormat), nil
}

// ensureDisk returns the cached disk of img in dir, building it first when
// there is none. runID names the temporary file of a build.
func ensureDisk(ctx context.Context, dir string, img driver.Image, runID string) (string, error) {
	name, err := diskName(img)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	if err := regularFile(path); err == nil {
		return path, nil
	}
	if fi, err := os.Stat(img.Rootfs); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("image %s: rootfs %s is not a directory (fix: run scripts/setup.sh)", img.Key, img.Rootfs)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("image disk dir: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, diskLockName))
	if err != nil {
		return "", fmt.Errorf("lock %s: %w", dir, err)
	}
	defer unlock()
	if err := regularFile(path); err == nil {
		return path, nil // another run built it while this one waited
	}
	// Under the lock no build runs: any temporary file is a killed one's.
	stale, _ := filepath.Glob(filepath.Join(dir, diskBuildPfx+"*"))
	for _, p := range stale {
		os.Remove(p)
	}
	tmp := filepath.Join(dir, fmt.Sprintf("%sae-%s-%s", diskBuildPfx, runID, name))
	if err := buildDisk(ctx, img.Rootfs, tmp); err != nil {
		os.Remove(tmp)
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("image disk: %w", err)
	}
	return path, nil
}

// buildDisk runs mke2fs to make dst an ext4 file system holding the tree
// at root, sized for it with room for the file system's own metadata.
func buildDisk(ctx context.Context, root, dst string) error {
	bytes, inodes, err := treeSize(root)
	if err != nil {
		return fmt.Errorf("size the image tree %s: %w", root, err)
	}
	size := diskBytes(bytes, inodes)
	bin, err := exec.LookPath("mke2fs")
	if err != nil {
		return fmt.Errorf("mke2fs not found (apt-get install e2fsprogs): %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, diskBuildTime)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-q", "-F", "-t", "ext4",
		// Read-only use: no journal to replay, no reserved blocks, one
		// inode per file and some to spare.
		"-O", "^has_journal", "-m", "0", "-N", fmt.Sprint(inodes+inodes/4+1024),
		"-L", "ae-image", "-E", "root_owner=0:0",
		"-d", root, dst, fmt.Sprintf("%dk", size>>10))
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("mke2fs -d %s %s: %w: %s", root, dst, err, truncate(strings.TrimSpace(string(out)), 300))
	}
	f, err := os.Open(dst)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dst, err)
	}
	return nil
}

// treeSize is the space the tree's files take in 4 KiB blocks and the
// number of its entries (each an inode).
func treeSize(root string) (bytes, inodes int64, err error) {
	err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		inodes++
		fi, err := e.Info()
		if err != nil {
			return err
		}
		if fi.Mode().IsRegular() || fi.Mode()&fs.ModeSymlink != 0 || fi.IsDir() {
			bytes += (fi.Size() + 4095) &^ 4095
		}
		return nil
	})
	return bytes, inodes, err
}

// diskBytes is the file system's size for a tree of that many bytes and
// inodes: the data, 256 bytes of inode table per inode, 10% for block
// maps and directories, and 32 MiB of slack, in whole MiB.
func diskBytes(bytes, inodes int64) int64 {
	n := bytes + bytes/10 + (inodes+inodes/4+1024)*256 + 32<<20
	return (n + 1<<20 - 1) &^ (1<<20 - 1)
}

// lockFile takes an exclusive flock on path, waiting until ctx ends.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("another build holds it: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// diskBuildsOf lists the temporary disk files of runs whose ID starts with
// prefix ("ae-<run>").
func diskBuildsOf(dir, prefix string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, diskBuildPfx+prefix+"*"))
	return m
}
