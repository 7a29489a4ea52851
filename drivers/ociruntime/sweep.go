package ociruntime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/oci"
)

// leftovers is what runs whose IDs start with a prefix left behind, by
// kind.
type leftovers struct {
	containers []oci.State
	procs      []host.Process // processes whose command line names the prefix
	entries    []string       // state directories and files under the root
	mounts     []string       // mount points naming the prefix, and every mount under an empty root
	cgroups    []string       // cgroup directories named with the prefix
}

func (l leftovers) lines(name string) []string {
	var out []string
	for _, c := range l.containers {
		out = append(out, fmt.Sprintf("%s container %s (%s, pid %d)", name, c.ID, c.Status, c.Pid))
	}
	for _, p := range l.procs {
		out = append(out, fmt.Sprintf("process %d (%s)", p.PID, host.Truncate(strings.Join(p.Args, " "), 160)))
	}
	for _, e := range l.entries {
		out = append(out, name+" root entry "+e)
	}
	for _, m := range l.mounts {
		out = append(out, "mount "+m)
	}
	for _, c := range l.cgroups {
		out = append(out, "cgroup "+c)
	}
	return out
}

func (l leftovers) empty() bool {
	return len(l.containers)+len(l.procs)+len(l.entries)+len(l.mounts)+len(l.cgroups) == 0
}

// Leftovers lists what runs whose IDs start with prefix left behind:
// containers, processes, state directories and files under the root,
// mounts, and cgroups.
func (d *Driver) Leftovers(ctx context.Context, prefix string) ([]string, error) {
	l, err := d.leftovers(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("%s leftovers %q: %w", d.cfg.Variant, prefix, err)
	}
	return l.lines(d.cfg.Name), nil
}

func (d *Driver) leftovers(ctx context.Context, prefix string) (leftovers, error) {
	var l leftovers
	if prefix == "" {
		return l, errors.New("an empty prefix would match everything")
	}
	rootEmpty := false
	if rt, err := d.Runtime(); err == nil {
		if _, err := os.Stat(d.cfg.Root); err == nil {
			cs, err := rt.List(ctx)
			if err != nil {
				return l, err
			}
			rootEmpty = len(cs) == 0
			for _, c := range cs {
				if strings.HasPrefix(c.ID, prefix) {
					l.containers = append(l.containers, c)
				}
			}
		}
	}
	ps, err := host.ScanProcesses()
	if err != nil {
		return l, err
	}
	self := os.Getpid()
	for _, pid := range ps.Match(func(p host.Process) bool {
		return p.PID != self && p.State != 'Z' && host.ArgNames(p.Args, prefix, true)
	}) {
		l.procs = append(l.procs, ps[pid])
	}
	l.entries = d.rootEntries(prefix)
	mounts, err := host.ReadMountinfo()
	if err != nil {
		return l, err
	}
	// A mount under the root (runsc's null netns pin) belongs to no run:
	// it is a leftover once the root holds no container and this driver is
	// not inside a run that keeps it on purpose.
	d.mu.Lock()
	prepared := d.prepared
	d.mu.Unlock()
	seen := map[string]bool{}
	for _, m := range mounts {
		under := rootEmpty && !prepared && d.cfg.Release != nil && strings.HasPrefix(m.Point, filepath.Clean(d.cfg.Root)+"/")
		if !seen[m.Point] && (host.ArgNames([]string{m.Point}, prefix, true) || under) {
			seen[m.Point] = true
			l.mounts = append(l.mounts, m.Point)
		}
	}
	if l.cgroups, err = host.FindCgroups(prefix, 2); err != nil {
		return l, err
	}
	return l, nil
}

// Reap removes what Leftovers lists, then checks that nothing is left.
func (d *Driver) Reap(ctx context.Context, prefix string) error {
	l, err := d.leftovers(ctx, prefix)
	if err != nil {
		return fmt.Errorf("%s sweep %q: %w", d.cfg.Variant, prefix, err)
	}
	var errs []error
	rt, rtErr := d.Runtime()
	if rtErr == nil {
		for _, c := range l.containers {
			if err := d.remove(ctx, rt, c.ID); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := host.KillMatching(ctx, func(p host.Process) bool { return host.ArgNames(p.Args, prefix, true) }); err != nil {
		errs = append(errs, err)
	}
	if err := d.removeRootEntries(prefix); err != nil {
		errs = append(errs, err)
	}
	if l, err = d.leftovers(ctx, prefix); err != nil {
		errs = append(errs, err)
	}
	for _, m := range l.mounts {
		if err := UnmountAll(m); err != nil {
			errs = append(errs, err)
		}
	}
	for _, c := range l.cgroups {
		if err := host.RemoveCgroup(ctx, c); err != nil {
			errs = append(errs, err)
		}
	}
	if l, err := d.leftovers(ctx, prefix); err != nil {
		errs = append(errs, err)
	} else if !l.empty() {
		errs = append(errs, fmt.Errorf("still left: %s", strings.Join(l.lines(d.cfg.Name), "; ")))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s sweep %q: %w", d.cfg.Variant, prefix, err)
	}
	return nil
}

// UnmountAll detaches every mount stacked on path, then removes the mount
// point when it is an empty directory or a file. Runtime folders whose
// Release unmounts a pin of their own (runsc's null netns) use it too.
func UnmountAll(path string) error {
	for {
		err := unix.Unmount(path, unix.MNT_DETACH)
		if err == nil {
			continue
		}
		if err == unix.EINVAL || err == unix.ENOENT {
			break
		}
		return fmt.Errorf("unmount %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) && !errors.Is(err, unix.ENOTEMPTY) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}
