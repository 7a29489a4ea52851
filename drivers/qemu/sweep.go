package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/agentic-eval/agentic-eval/host"
)

// leftover is a QEMU process of ours that is still running.
type leftover struct {
	pid   int
	name  string
	paths []string // its sockets and pid file
}

// findQEMUProcesses scans /proc for QEMU processes whose -name starts with
// prefix.
func findQEMUProcesses(prefix string) ([]leftover, error) {
	ps, err := host.ScanProcesses()
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var found []leftover
	for _, pid := range ps.Match(func(p host.Process) bool {
		return p.PID != self && len(p.Args) > 0 && strings.HasPrefix(filepath.Base(p.Args[0]), "qemu-system-")
	}) {
		argv := ps[pid].Args
		name, ok := parseNameArg(argv)
		if !ok || !strings.HasPrefix(name, prefix) {
			continue
		}
		found = append(found, leftover{pid: pid, name: name, paths: socketPathsInArgs(argv)})
	}
	return found, nil
}

// Leftovers lists QEMU processes whose -name starts with prefix, and the
// files of such VMs that still exist: sockets, pid files and logs named on
// those processes' command lines, of VMs this driver started and did not
// destroy, and under the run directories it was prepared with.
func (d *Driver) Leftovers(ctx context.Context, prefix string) ([]string, error) {
	if prefix == "" {
		return nil, errors.New("qemu leftovers: empty prefix")
	}
	procs, err := findQEMUProcesses(prefix)
	if err != nil {
		return nil, fmt.Errorf("qemu leftovers: %w", err)
	}
	var out []string
	for _, p := range procs {
		out = append(out, fmt.Sprintf("qemu process %d (-name %s)", p.pid, p.name))
	}
	for _, path := range d.leftoverPaths(prefix, procs) {
		out = append(out, "file "+path)
	}
	return out, nil
}

func (d *Driver) leftoverPaths(prefix string, procs []leftover) []string {
	seen := map[string]bool{}
	var paths []string
	add := func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		if _, err := os.Lstat(p); err == nil {
			paths = append(paths, p)
		}
	}
	for _, p := range procs {
		for _, path := range p.paths {
			add(path)
			if strings.HasSuffix(path, qmpSuffix) {
				add(strings.TrimSuffix(path, qmpSuffix) + logSuffix)
			}
		}
	}
	d.mu.Lock()
	for v := range d.live {
		if strings.HasPrefix(v.id, prefix) {
			for _, p := range v.files() {
				add(p)
			}
		}
	}
	dirs := append([]string(nil), d.sweepDirs...)
	d.mu.Unlock()
	for _, dir := range dirs {
		for _, p := range vmFilesUnder(dir, prefix, 3) {
			add(p)
		}
	}
	// A disk build the run was killed in.
	if kernel, err := findKernel(); err == nil {
		for _, p := range diskBuildsOf(filepath.Join(cacheDir(kernel), diskDirName), prefix) {
			add(p)
		}
	}
	sort.Strings(paths)
	return paths
}

// vmFilesUnder finds, at most depth levels under root, the files of VMs
// whose ID starts with prefix (ID.qmp, ID.pid, ID.log, ID.qga,
// ID.console).
func vmFilesUnder(root, prefix string, depth int) []string {
	var found []string
	base := strings.Count(filepath.Clean(root), string(filepath.Separator))
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable or vanished: nothing of ours to find there
		}
		if e.IsDir() {
			if strings.Count(filepath.Clean(p), string(filepath.Separator))-base >= depth {
				return filepath.SkipDir
			}
			return nil
		}
		n := e.Name()
		if !strings.HasPrefix(n, prefix) {
			return nil
		}
		for _, suf := range []string{qmpSuffix, pidSuffix, logSuffix, qgaSuffix, consoleSuffix} {
			if strings.HasSuffix(n, suf) {
				found = append(found, p)
				break
			}
		}
		return nil
	})
	return found
}

// Sweep ends every QEMU process Leftovers lists (SIGTERM, then SIGKILL),
// waits until they are gone and removes the files.
func (d *Driver) Reap(ctx context.Context, prefix string) error {
	if prefix == "" {
		return errors.New("qemu sweep: empty prefix")
	}
	var errs []error
	// This driver's own VMs are ended the normal way, which also reaps them.
	d.mu.Lock()
	var own []*vm
	for v := range d.live {
		if strings.HasPrefix(v.id, prefix) {
			own = append(own, v)
		}
	}
	d.mu.Unlock()
	for _, v := range own {
		if err := v.Destroy(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	procs, err := findQEMUProcesses(prefix)
	if err != nil {
		return fmt.Errorf("qemu sweep: %w", err)
	}
	for _, p := range procs {
		if err := killAndWait(ctx, p.pid); err != nil {
			errs = append(errs, err)
		}
	}
	for _, path := range d.leftoverPaths(prefix, procs) {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove %s: %w", path, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("qemu sweep %s: %w", prefix, errors.Join(errs...))
	}
	return nil
}

// killAndWait ends a process that is not necessarily our child: SIGTERM,
// then SIGKILL, then it waits for /proc/PID to go (a zombie child of
// someone else counts as gone: it holds no memory).
func killAndWait(ctx context.Context, pid int) error {
	gone := func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return true
		}
		// state is the field after the parenthesised command
		if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) && b[i+2] == 'Z' {
			return true
		}
		return false
	}
	waitGone := func(d time.Duration) bool {
		deadline := time.Now().Add(d)
		for !gone() {
			if time.Now().After(deadline) || ctx.Err() != nil {
				return false
			}
			time.Sleep(10 * time.Millisecond)
		}
		return true
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return fmt.Errorf("signal qemu pid %d: %w", pid, err)
	}
	if waitGone(termGrace) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill qemu pid %d: %w", pid, err)
	}
	if waitGone(5 * time.Second) {
		return nil
	}
	return fmt.Errorf("qemu pid %d still there after SIGKILL", pid)
}
