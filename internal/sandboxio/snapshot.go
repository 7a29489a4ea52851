package sandboxio

import (
	"io/fs"
	"os"
	"path/filepath"
)

// SnapshotDir makes dir (and its parents, mode 0700) for a snapshot and
// returns it absolute, since a runtime resolves a relative path from its
// own working directory, not the harness's.
func SnapshotDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", err
	}
	return abs, nil
}

// DirBytes is the size of the regular files under dir, the trees of the
// subdirectories of dir named in skip excluded (a runtime's work directory
// that is not part of the image).
func DirBytes(dir string, skip ...string) (int64, error) {
	skipped := map[string]bool{}
	for _, s := range skip {
		skipped[filepath.Join(dir, s)] = true
	}
	var n int64
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && skipped[path] {
			return filepath.SkipDir
		}
		if e.Type().IsRegular() {
			fi, err := e.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
		}
		return nil
	})
	return n, err
}
