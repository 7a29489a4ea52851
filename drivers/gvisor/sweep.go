package gvisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/oci"
	"golang.org/x/sys/unix"
)

// leftovers is what a run left under the driver's root, by kind.
type leftovers struct {
	containers []oci.State
	procs      []int    // runsc processes whose bundle path names the prefix
	mounts     []string // mount points naming the prefix, plus the null netns pin when the root is empty
	cgroups    []string // cgroup directories named with the prefix
	procInfo   map[int]runscProc
}

func (l leftovers) lines() []string {
	var out []string
	for _, c := range l.containers {
		out = append(out, fmt.Sprintf("runsc container %s (%s, pid %d)", c.ID, c.Status, c.Pid))
	}
	for _, pid := range l.procs {
		p := l.procInfo[pid]
		out = append(out, fmt.Sprintf("process %d (runsc %s, bundle %s)", pid, p.Command, p.Bundle))
	}
	for _, m := range l.mounts {
		out = append(out, "mount "+m)
	}
	for _, c := range l.cgroups {
		out = append(out, "cgroup "+c)
	}
	return out
}

// Leftovers lists, for IDs starting with prefix: runsc containers under the
// root, runsc host processes whose bundle path names the prefix, mounts
// whose path names it, cgroup directories named with it, and runsc's null
// network namespace pin when no container at all is left under the root.
func (d *Driver) Leftovers(ctx context.Context, prefix string) ([]string, error) {
	l, err := d.leftovers(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("gvisor leftovers %q: %w", prefix, err)
	}
	return l.lines(), nil
}

func (d *Driver) leftovers(ctx context.Context, prefix string) (leftovers, error) {
	var l leftovers
	if prefix == "" {
		return l, errors.New("empty prefix would match everything")
	}
	all := -1
	if _, _, err := d.binary(); err == nil {
		cs, err := d.list(ctx)
		if err != nil {
			return l, err
		}
		all = len(cs)
		for _, c := range cs {
			if strings.HasPrefix(c.ID, prefix) {
				l.containers = append(l.containers, c)
			}
		}
	}
	procs, _, err := scanProcs()
	if err != nil {
		return l, fmt.Errorf("scan processes: %w", err)
	}
	l.procInfo = procs
	for pid, p := range procs {
		if p.Root == d.Root && (strings.HasPrefix(p.ID, prefix) || pathNames(p.Bundle, prefix)) {
			l.procs = append(l.procs, pid)
		}
	}
	sort.Ints(l.procs)
	mounts, err := host.ReadMountinfo()
	if err != nil {
		return l, err
	}
	seen := map[string]bool{}
	for _, m := range mounts {
		if seen[m.Point] {
			continue
		}
		if pathNames(m.Point, prefix) || (all == 0 && m.Point == d.nullNetNSPath()) {
			seen[m.Point] = true
			l.mounts = append(l.mounts, m.Point)
		}
	}
	for _, cm := range host.CgroupMounts(mounts) {
		for _, pat := range []string{filepath.Join(cm.Point, prefix+"*"), filepath.Join(cm.Point, "*", prefix+"*")} {
			matches, _ := filepath.Glob(pat)
			for _, m := range matches {
				if fi, err := os.Stat(m); err == nil && fi.IsDir() {
					l.cgroups = append(l.cgroups, m)
				}
			}
		}
	}
	return l, nil
}

// pathNames reports whether one element of path starts with prefix.
func pathNames(path, prefix string) bool {
	for _, e := range strings.Split(path, "/") {
		if strings.HasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

// Sweep removes what Leftovers lists: it deletes the containers, kills the
// processes by pid, detaches the mounts and removes the cgroup directories,
// then checks that nothing is left.
func (d *Driver) Sweep(ctx context.Context, prefix string) error {
	l, err := d.leftovers(ctx, prefix)
	if err != nil {
		return fmt.Errorf("gvisor sweep %q: %w", prefix, err)
	}
	var errs []error
	for _, c := range l.containers {
		_, _ = d.runsc(ctx, "kill", c.ID, "KILL")
		if _, err := d.runsc(ctx, "delete", "-force", c.ID); err != nil && !notExist(err) {
			errs = append(errs, err)
		}
	}
	if err := killProcs(ctx, func(p runscProc) bool {
		return p.Root == d.Root && (strings.HasPrefix(p.ID, prefix) || pathNames(p.Bundle, prefix))
	}); err != nil {
		errs = append(errs, err)
	}
	// Containers deleted: re-list mounts, so the null netns pin counts too.
	if l, err = d.leftovers(ctx, prefix); err != nil {
		errs = append(errs, err)
	}
	for _, m := range l.mounts {
		if err := unmountAll(m, m == d.nullNetNSPath()); err != nil {
			errs = append(errs, err)
		}
	}
	// Deepest first: a child cgroup must go before its parent.
	sort.Slice(l.cgroups, func(i, j int) bool { return len(l.cgroups[i]) > len(l.cgroups[j]) })
	for _, c := range l.cgroups {
		if err := unix.Rmdir(c); err != nil && err != unix.ENOENT {
			errs = append(errs, fmt.Errorf("remove cgroup %s: %w", c, err))
		}
	}
	if rest, err := d.Leftovers(ctx, prefix); err != nil {
		errs = append(errs, err)
	} else if len(rest) > 0 {
		errs = append(errs, fmt.Errorf("still left: %s", strings.Join(rest, "; ")))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("gvisor sweep %q: %w", prefix, err)
	}
	return nil
}
