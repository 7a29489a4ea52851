package residue

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/agentic-eval/agentic-eval/host"
)

// DefaultCgroupDepth is how deep Cgroups looks below each hierarchy's
// root. Runtimes nest sandboxes a few levels down (system.slice/docker-ID,
// memory/docker/ID, a runc cgroupsPath); 8 is well beyond that.
const DefaultCgroupDepth = 8

var errNoPrefix = errors.New("residue: empty prefix would match everything")

// MatchMounts returns the mounts whose mount point, source or root (the
// bind-mounted path) contains prefix, or whose mount point is one of dirs
// or lies under one. An empty prefix matches by dirs only.
func MatchMounts(mounts []host.Mount, prefix string, dirs ...string) []host.Mount {
	var clean []string
	for _, d := range dirs {
		if d != "" {
			clean = append(clean, filepath.Clean(d))
		}
	}
	var out []host.Mount
	for _, m := range mounts {
		if matchMount(m, prefix, clean) {
			out = append(out, m)
		}
	}
	return out
}

func matchMount(m host.Mount, prefix string, dirs []string) bool {
	if prefix != "" && (strings.Contains(m.Point, prefix) || strings.Contains(m.Source, prefix) || strings.Contains(m.Root, prefix)) {
		return true
	}
	for _, d := range dirs {
		if m.Point == d || strings.HasPrefix(m.Point, strings.TrimSuffix(d, "/")+"/") {
			return true
		}
	}
	return false
}

// Mounts returns the entries of this process's mount table that match
// prefix or lie under dirs (see MatchMounts), in mount order: unmount them
// in reverse.
func Mounts(prefix string, dirs ...string) ([]host.Mount, error) {
	if prefix == "" && len(dirs) == 0 {
		return nil, errNoPrefix
	}
	mounts, err := host.ReadMountinfo()
	if err != nil {
		return nil, fmt.Errorf("residue mounts: %w", err)
	}
	return MatchMounts(mounts, prefix, dirs...), nil
}

// CgroupRoots returns the mount points of every cgroup hierarchy (v1 and
// v2) in a mount table, each once.
func CgroupRoots(mounts []host.Mount) []string {
	var roots []string
	for _, m := range mounts {
		if (m.FSType == "cgroup" || m.FSType == "cgroup2") && !slices.Contains(roots, m.Point) {
			roots = append(roots, m.Point)
		}
	}
	return roots
}

// Cgroups returns the cgroup directories, in any mounted hierarchy, whose
// name contains prefix, searched DefaultCgroupDepth levels deep. A parent
// is listed before its children: remove them in reverse.
func Cgroups(prefix string) ([]string, error) {
	if prefix == "" {
		return nil, errNoPrefix
	}
	mounts, err := host.ReadMountinfo()
	if err != nil {
		return nil, fmt.Errorf("residue cgroups: %w", err)
	}
	return FindDirs(CgroupRoots(mounts), prefix, DefaultCgroupDepth)
}

// FindDirs walks each root down to maxDepth levels below it and returns
// the directories whose base name contains prefix, sorted (a parent before
// its children). Symbolic links are not followed; directories that vanish
// during the walk are skipped.
func FindDirs(roots []string, prefix string, maxDepth int) ([]string, error) {
	var found []string
	err := walkDirs(roots, maxDepth, func(p, name string) {
		if strings.Contains(name, prefix) {
			found = append(found, p)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("residue: %w", err)
	}
	slices.Sort(found)
	return slices.Compact(found), nil
}

// walkDirs calls visit for every directory under each root (the roots
// excluded), at most maxDepth levels down. Symbolic links are not
// followed; directories that vanish during the walk are skipped.
func walkDirs(roots []string, maxDepth int, visit func(path, name string)) error {
	for _, root := range roots {
		root = filepath.Clean(root)
		base := strings.Count(root, string(filepath.Separator))
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if !d.IsDir() {
				return nil
			}
			if p != root {
				visit(p, d.Name())
			}
			if strings.Count(p, string(filepath.Separator))-base >= maxDepth {
				return fs.SkipDir
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("walk %s: %w", root, err)
		}
	}
	return nil
}

// Process is a process whose command line or name carries the prefix.
type Process struct {
	PID     int    `json:"pid"`
	Cmdline string `json:"cmdline"` // arguments joined by spaces; "[comm]" when it has none (a zombie)
}

// MatchProcess reports whether a process with this cmdline and comm (the
// contents of /proc/<pid>/cmdline and /proc/<pid>/comm) carries prefix,
// and how to show it. comm counts for processes without a command line,
// such as zombies, which a run can leave too.
func MatchProcess(cmdline, comm []byte, prefix string) (string, bool) {
	args := strings.Join(host.ParseCmdline(cmdline), " ")
	if args != "" {
		return args, strings.Contains(args, prefix)
	}
	c := strings.TrimSpace(string(comm))
	return "[" + c + "]", c != "" && strings.Contains(c, prefix)
}

// Processes returns the processes whose command line (or, lacking one,
// whose name) contains prefix, excluding the calling process.
func Processes(prefix string) ([]Process, error) {
	if prefix == "" {
		return nil, errNoPrefix
	}
	ps, err := host.ScanProcesses()
	if err != nil {
		return nil, fmt.Errorf("residue processes: %w", err)
	}
	self := os.Getpid()
	var out []Process
	for _, pid := range ps.Match(func(p host.Process) bool { return p.PID != self }) {
		p := ps[pid]
		cmdline := []byte(strings.Join(p.Args, "\x00"))
		if shown, ok := MatchProcess(cmdline, []byte(p.Comm), prefix); ok {
			out = append(out, Process{PID: pid, Cmdline: shown})
		}
	}
	return out, nil
}

// Paths returns the existing paths that match any of globs
// (filepath.Match syntax), sorted and each once.
func Paths(globs ...string) ([]string, error) {
	var out []string
	for _, g := range globs {
		m, err := filepath.Glob(g)
		if err != nil {
			return nil, fmt.Errorf("residue paths: pattern %q: %w", g, err)
		}
		out = append(out, m...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Query says what to look for.
type Query struct {
	// Prefix is the name prefix every object of the run carries. Matching
	// is by substring, so end it with the separator ("ae-r12-"), or run
	// "r12" also finds run "r123"'s objects.
	Prefix string
	Dirs   []string // mounts at or under these directories are residue too
	Globs  []string // paths that must not exist, e.g. "/tmp/ae-r123*"
}

// Report is what a run left on the host.
type Report struct {
	Prefix    string       `json:"prefix"`
	Mounts    []host.Mount `json:"mounts,omitempty"`
	Cgroups   []string     `json:"cgroups,omitempty"`
	Processes []Process    `json:"processes,omitempty"`
	Paths     []string     `json:"paths,omitempty"`
}

// Scan looks for everything q describes. It requires a prefix.
func Scan(q Query) (Report, error) {
	if q.Prefix == "" {
		return Report{}, errNoPrefix
	}
	r := Report{Prefix: q.Prefix}
	var err error
	if r.Mounts, err = Mounts(q.Prefix, q.Dirs...); err != nil {
		return Report{}, err
	}
	if r.Cgroups, err = Cgroups(q.Prefix); err != nil {
		return Report{}, err
	}
	if r.Processes, err = Processes(q.Prefix); err != nil {
		return Report{}, err
	}
	if r.Paths, err = Paths(q.Globs...); err != nil {
		return Report{}, err
	}
	return r, nil
}

// Empty reports whether nothing was found.
func (r Report) Empty() bool {
	return len(r.Mounts) == 0 && len(r.Cgroups) == 0 && len(r.Processes) == 0 && len(r.Paths) == 0
}

// Lines is the report as one line per item: "mount POINT (FSTYPE SOURCE)",
// "cgroup DIR", "process PID CMDLINE", "path PATH".
func (r Report) Lines() []string {
	var lines []string
	for _, m := range r.Mounts {
		lines = append(lines, fmt.Sprintf("mount %s (%s %s)", m.Point, m.FSType, m.Source))
	}
	for _, c := range r.Cgroups {
		lines = append(lines, "cgroup "+c)
	}
	for _, p := range r.Processes {
		lines = append(lines, fmt.Sprintf("process %d %s", p.PID, p.Cmdline))
	}
	for _, p := range r.Paths {
		lines = append(lines, "path "+p)
	}
	return lines
}

// String lists each item on its own line; it is empty when nothing was
// found.
func (r Report) String() string {
	lines := r.Lines()
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}
