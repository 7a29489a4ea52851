package memstat

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// DropCaches writes dirty pages back (sync) and asks the kernel to drop
// the page cache, dentries and inodes (echo 3 > /proc/sys/vm/drop_caches),
// so that a MemAvailable reading is not blurred by caches. It needs root
// and a writable /proc/sys; the error says which was missing.
func DropCaches() error {
	if uid := os.Geteuid(); uid != 0 {
		return fmt.Errorf("drop caches: needs root, running as uid %d (MemAvailable readings will include reclaimable caches)", uid)
	}
	unix.Sync()
	err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EROFS) || errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("drop caches: /proc/sys/vm/drop_caches is not writable here, root or not (a container with a read-only /proc/sys?): %w", err)
	default:
		return fmt.Errorf("drop caches: %w", err)
	}
}
