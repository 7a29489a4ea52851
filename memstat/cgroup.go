package memstat

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/agentic-eval/agentic-eval/host"
)

// CgroupMemory is what a memory cgroup says it is charged, in bytes, with
// the raw counters it was derived from.
type CgroupMemory struct {
	Dir     string `json:"dir"`
	Version int    `json:"version"` // 1 or 2
	// Charged is the memory charged to the cgroup and its descendants:
	// v1 memory.usage_in_bytes (it includes kernel memory on current
	// kernels), v2 memory.current. The kernel charges in per-CPU batches
	// of 64 pages (256 KiB with 4 KiB pages) and keeps the unused rest in
	// a per-CPU stock, so for a tiny cgroup Charged runs up to that much
	// per CPU above what is in use; the memory.stat figures below are
	// flushed lazily and may lag by a similar amount. Both are exact
	// enough for a fleet, not for one idle process.
	Charged uint64 `json:"charged"`
	// Anon is anonymous memory: v1 total_rss, v2 anon.
	Anon uint64 `json:"anon"`
	// File is page cache: v1 total_cache, v2 file. Shmem (tmpfs, shared
	// anonymous) is part of it.
	File  uint64 `json:"file"`
	Shmem uint64 `json:"shmem"`
	// Kernel is kernel memory (slab, stacks, page tables, sockets): v1
	// memory.kmem.usage_in_bytes, v2 the "kernel" stat (Linux 5.18+) or,
	// before it, the sum of its parts.
	Kernel uint64 `json:"kernel"`
	// Swap is swapped-out memory: v1 total_swap, v2 memory.swap.current.
	Swap uint64 `json:"swap"`
	// Stat is memory.stat as the kernel wrote it (v1: both the cgroup's own
	// fields and the hierarchical total_* ones).
	Stat map[string]uint64 `json:"stat"`
	// Counters are the single-number files read, by file name.
	Counters map[string]uint64 `json:"counters"`
}

// Files each version's reading needs (memory.stat and the first counter)
// or uses when present.
var (
	cgroupV1Files = []string{"memory.usage_in_bytes", "memory.kmem.usage_in_bytes", "memory.memsw.usage_in_bytes", "memory.max_usage_in_bytes"}
	cgroupV2Files = []string{"memory.current", "memory.swap.current", "memory.peak"}
)

// ParseCgroupMemory builds a CgroupMemory from the contents of a cgroup's
// files, by file name: memory.stat plus the counters of its version
// (v1: memory.usage_in_bytes, optionally memory.kmem.usage_in_bytes, ...;
// v2: memory.current, optionally memory.swap.current, memory.peak).
func ParseCgroupMemory(version int, files map[string][]byte) (CgroupMemory, error) {
	var names []string
	switch version {
	case 1:
		names = cgroupV1Files
	case 2:
		names = cgroupV2Files
	default:
		return CgroupMemory{}, fmt.Errorf("cgroup memory: unknown cgroup version %d", version)
	}
	c := CgroupMemory{Version: version, Counters: map[string]uint64{}}
	statText, ok := files["memory.stat"]
	if !ok {
		return CgroupMemory{}, fmt.Errorf("cgroup v%d memory: no memory.stat", version)
	}
	stat, err := ParseMemoryStat(statText)
	if err != nil {
		return CgroupMemory{}, fmt.Errorf("cgroup v%d memory: %w", version, err)
	}
	c.Stat = stat
	for i, name := range names {
		data, ok := files[name]
		if !ok {
			if i == 0 {
				return CgroupMemory{}, fmt.Errorf("cgroup v%d memory: no %s", version, name)
			}
			continue
		}
		v, err := ParseCounter(data)
		if err != nil {
			return CgroupMemory{}, fmt.Errorf("cgroup v%d memory: %s: %w", version, name, err)
		}
		c.Counters[name] = v
	}
	c.Charged = c.Counters[names[0]]
	if version == 1 {
		c.Anon, c.File, c.Shmem, c.Swap = stat["total_rss"], stat["total_cache"], stat["total_shmem"], stat["total_swap"]
		c.Kernel = c.Counters["memory.kmem.usage_in_bytes"]
		return c, nil
	}
	c.Anon, c.File, c.Shmem = stat["anon"], stat["file"], stat["shmem"]
	c.Swap = c.Counters["memory.swap.current"]
	if k, ok := stat["kernel"]; ok {
		c.Kernel = k
	} else {
		c.Kernel = stat["kernel_stack"] + stat["pagetables"] + stat["sec_pagetables"] + stat["percpu"] + stat["sock"] + stat["vmalloc"] + stat["slab"]
	}
	return c, nil
}

// ReadCgroupMemory reads the memory cgroup at dir, v1 or v2 (told apart
// by memory.current, which only v2 has).
func ReadCgroupMemory(dir string) (CgroupMemory, error) {
	version := 0
	switch {
	case fileExists(filepath.Join(dir, "memory.current")):
		version = 2
	case fileExists(filepath.Join(dir, "memory.usage_in_bytes")):
		version = 1
	default:
		if _, err := os.Stat(dir); err != nil {
			return CgroupMemory{}, fmt.Errorf("read memory cgroup: %w", err)
		}
		return CgroupMemory{}, fmt.Errorf("read memory cgroup %s: neither memory.current nor memory.usage_in_bytes: not a memory cgroup (is the memory controller enabled for it?)", dir)
	}
	names := cgroupV1Files
	if version == 2 {
		names = cgroupV2Files
	}
	files := map[string][]byte{}
	for _, name := range append([]string{"memory.stat"}, names...) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) && name != "memory.stat" && name != names[0] {
			continue // optional counter (no swap accounting, no kmem file, older kernel)
		}
		if err != nil {
			return CgroupMemory{}, fmt.Errorf("read memory cgroup %s: %w", dir, err)
		}
		files[name] = data
	}
	c, err := ParseCgroupMemory(version, files)
	if err != nil {
		return CgroupMemory{}, fmt.Errorf("read memory cgroup %s: %w", dir, err)
	}
	c.Dir = dir
	return c, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// ProcCgroup is one line of /proc/<pid>/cgroup.
type ProcCgroup struct {
	ID          int
	Controllers []string // empty for the v2 unified hierarchy
	Path        string   // relative to the hierarchy's root, as the reader's cgroup namespace sees it
}

// ParseProcCgroup parses /proc/<pid>/cgroup.
func ParseProcCgroup(data []byte) ([]ProcCgroup, error) {
	var out []ProcCgroup
	for i, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			return nil, fmt.Errorf("/proc/<pid>/cgroup line %d: malformed %q", i+1, line)
		}
		id, err := strconv.Atoi(f[0])
		if err != nil {
			return nil, fmt.Errorf("/proc/<pid>/cgroup line %d: %w", i+1, err)
		}
		pc := ProcCgroup{ID: id, Path: f[2]}
		if f[1] != "" {
			pc.Controllers = strings.Split(f[1], ",")
		}
		out = append(out, pc)
	}
	return out, nil
}

// ErrRootCgroup is the error (wrapped) of MemoryCgroupDir and
// FindMemoryCgroup for a process in the root cgroup of its memory
// hierarchy, as the reader sees it: its cgroup path is "/" or the root of
// the subtree the hierarchy's mount holds. Such a process has no memory
// cgroup of its own; the root's charge is the whole host's (or, for a
// subtree, everything the reader can see), never the process's. Callers
// that report "no cgroup" map it to that: errors.Is(err, ErrRootCgroup).
var ErrRootCgroup = errors.New("the process is in the root memory cgroup (whose charge is the whole host's): it has no memory cgroup of its own")

// MemoryCgroupDir finds, from a process's /proc/<pid>/cgroup and the
// reader's mount table, the absolute directory of its memory cgroup: the
// v1 memory hierarchy when it is mounted, else the v2 unified hierarchy.
// It returns the version found. For a process in the hierarchy's root
// cgroup it returns the root's directory and version along with an error
// wrapping ErrRootCgroup. It does not check that the v2 hierarchy has the
// memory controller enabled; FindMemoryCgroup does.
func MemoryCgroupDir(procCgroup []byte, mounts []host.Mount) (dir string, version int, err error) {
	cgs, err := ParseProcCgroup(procCgroup)
	if err != nil {
		return "", 0, err
	}
	for _, cg := range cgs {
		if !contains(cg.Controllers, "memory") {
			continue
		}
		for _, m := range mounts {
			if m.FSType == "cgroup" && m.HasSuperOption("memory") {
				d, err := underMount(m, cg.Path)
				return d, 1, err
			}
		}
	}
	for _, cg := range cgs {
		if cg.ID != 0 || len(cg.Controllers) != 0 {
			continue
		}
		for _, m := range mounts {
			if m.FSType == "cgroup2" {
				d, err := underMount(m, cg.Path)
				return d, 2, err
			}
		}
	}
	return "", 0, errors.New("no memory cgroup: neither a mounted v1 memory hierarchy nor a mounted cgroup2 hierarchy holds the process")
}

// underMount maps a cgroup path to a directory under the mount of its
// hierarchy, which may mount a subtree (Root) rather than the whole. At the
// mount's root it returns that directory and ErrRootCgroup.
func underMount(m host.Mount, cgPath string) (string, error) {
	dir, ok := m.CgroupDir(cgPath)
	if !ok {
		return "", fmt.Errorf("cgroup %s is outside the hierarchy mounted at %s (which mounts %s)", cgPath, m.Point, m.Root)
	}
	if path.Clean("/"+cgPath) == path.Clean("/"+m.Root) {
		return dir, fmt.Errorf("cgroup %s at %s: %w", cgPath, dir, ErrRootCgroup)
	}
	return dir, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FindMemoryCgroup returns the absolute directory of pid's memory cgroup,
// as this process's mount namespace sees it, checked to hold memory
// counters. For a process in the root memory cgroup it returns "" and an
// error wrapping ErrRootCgroup.
func FindMemoryCgroup(pid int) (string, error) {
	data, err := readProcFile(pid, "cgroup")
	if err != nil {
		return "", fmt.Errorf("memory cgroup of pid %d: %w", pid, err)
	}
	mounts, err := host.ReadMountinfo()
	if err != nil {
		return "", fmt.Errorf("memory cgroup of pid %d: %w", pid, err)
	}
	dir, version, err := MemoryCgroupDir(data, mounts)
	if err != nil {
		return "", fmt.Errorf("memory cgroup of pid %d: %w", pid, err)
	}
	counter := "memory.usage_in_bytes"
	if version == 2 {
		counter = "memory.current"
	}
	if !fileExists(filepath.Join(dir, counter)) {
		return "", fmt.Errorf("memory cgroup of pid %d: %s has no %s (the memory controller is not enabled there)", pid, dir, counter)
	}
	return dir, nil
}
