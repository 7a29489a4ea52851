package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CgroupDirs lists the directory of cgroup path cg (as a spec's
// cgroupsPath names it, from the root of each hierarchy) in every mounted
// hierarchy, existing or not.
func CgroupDirs(cg string) ([]string, error) {
	mounts, err := ReadMountinfo()
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, m := range CgroupMounts(mounts) {
		if dir, ok := m.CgroupDir(cg); ok {
			dirs = append(dirs, dir)
		}
	}
	return dirs, nil
}

// FindCgroups lists the existing cgroup directories, at most depth levels
// under each hierarchy's root, whose name starts with prefix, deepest
// first (the order they can be removed in).
func FindCgroups(prefix string, depth int) ([]string, error) {
	if prefix == "" {
		return nil, errors.New("find cgroups: an empty prefix would match every cgroup")
	}
	roots, err := CgroupDirs("/")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, root := range roots {
		level := []string{root}
		for d := 0; d < depth && len(level) > 0; d++ {
			var next []string
			for _, dir := range level {
				ents, _ := os.ReadDir(dir)
				for _, e := range ents {
					if !e.IsDir() {
						continue
					}
					p := filepath.Join(dir, e.Name())
					if strings.HasPrefix(e.Name(), prefix) {
						out = append(out, p)
					} else {
						next = append(next, p)
					}
				}
			}
			level = next
		}
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	return out, nil
}

// RemoveCgroup kills whatever still runs in the cgroup at dir (and its
// child cgroups) and removes them, waiting out the EBUSY the kernel
// answers while the killed processes exit, until ctx ends. A cgroup that
// does not exist is removed already.
func RemoveCgroup(ctx context.Context, dir string) error {
	// Children first: a cgroup with child cgroups cannot be removed.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.IsDir() {
			if err := RemoveCgroup(ctx, filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	for {
		procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		if os.IsNotExist(err) {
			return nil
		}
		for _, f := range strings.Fields(string(procs)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 0 && pid != os.Getpid() {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		err = syscall.Rmdir(dir)
		if err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("remove cgroup %s: %w (%w)", dir, err, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// RemoveCgroupPath removes cgroup path cg in every hierarchy.
func RemoveCgroupPath(ctx context.Context, cg string) error {
	dirs, err := CgroupDirs(cg)
	if err != nil {
		return fmt.Errorf("cgroups of %s: %w", cg, err)
	}
	var errs []error
	for _, dir := range dirs {
		if err := RemoveCgroup(ctx, dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RemoveEmptyCgroupPath removes cgroup path cg in every hierarchy where it
// is empty, leaving it where anything still uses it: for a parent cgroup
// that several runs share.
func RemoveEmptyCgroupPath(cg string) {
	dirs, err := CgroupDirs(cg)
	if err != nil {
		return
	}
	for _, dir := range dirs {
		_ = syscall.Rmdir(dir)
	}
}
