package host

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Mount is one line of /proc/<pid>/mountinfo (see proc(5)).
type Mount struct {
	ID       int      `json:"id"`
	ParentID int      `json:"parent_id"`
	Device   string   `json:"device"`      // major:minor
	Root     string   `json:"root"`        // the path within the filesystem that is mounted
	Point    string   `json:"mount_point"` // where it is mounted, in the reader's namespace
	Options  string   `json:"options"`     // per-mount options
	Optional []string `json:"optional,omitempty"`
	FSType   string   `json:"fstype"`
	Source   string   `json:"source"`
	Super    string   `json:"super_options"` // per-superblock options
}

// HasSuperOption reports whether opt is one of the comma-separated
// superblock options (for a cgroup v1 mount, the controllers: "memory").
func (m Mount) HasSuperOption(opt string) bool {
	for _, o := range strings.Split(m.Super, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

// ParseMountinfo parses the text of /proc/<pid>/mountinfo. Octal escapes
// (\040 for a space, ...) in paths are decoded. A malformed line is an
// error naming its line number.
func ParseMountinfo(data []byte) ([]Mount, error) {
	var mounts []Mount
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		m, err := parseMountLine(line)
		if err != nil {
			return nil, fmt.Errorf("mountinfo line %d: %w", n, err)
		}
		mounts = append(mounts, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return mounts, nil
}

func parseMountLine(line string) (Mount, error) {
	f := strings.Fields(line)
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if len(f) < 10 || sep < 0 || len(f) < sep+3 {
		return Mount{}, fmt.Errorf("malformed entry %q", line)
	}
	id, err := strconv.Atoi(f[0])
	if err != nil {
		return Mount{}, fmt.Errorf("mount id %q: %w", f[0], err)
	}
	parent, err := strconv.Atoi(f[1])
	if err != nil {
		return Mount{}, fmt.Errorf("parent id %q: %w", f[1], err)
	}
	m := Mount{
		ID:       id,
		ParentID: parent,
		Device:   f[2],
		Root:     unescapeOctal(f[3]),
		Point:    unescapeOctal(f[4]),
		Options:  f[5],
		FSType:   unescapeOctal(f[sep+1]),
		Source:   unescapeOctal(f[sep+2]),
	}
	if len(f) > sep+3 {
		m.Super = f[sep+3]
	}
	if sep > 6 {
		m.Optional = append([]string(nil), f[6:sep]...)
	}
	return m, nil
}

// unescapeOctal decodes the kernel's \ooo escapes (space, tab, newline,
// backslash) in mountinfo paths.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) && isOctal(s[i+1:i+4]) {
			v, _ := strconv.ParseUint(s[i+1:i+4], 8, 8)
			b.WriteByte(byte(v))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return true
}

// ReadMountinfo reads and parses /proc/self/mountinfo: the mount table as
// the calling process sees it.
func ReadMountinfo() ([]Mount, error) {
	return readMountinfo("/proc/self/mountinfo")
}

func readMountinfo(path string) ([]Mount, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mount table: %w", err)
	}
	m, err := ParseMountinfo(data)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return m, nil
}

// CgroupMounts returns the cgroup (v1) and cgroup2 mounts of a mount
// table, in table order, one per mount point: where a point is mounted
// over, the later (visible) mount stands in the earlier one's place.
func CgroupMounts(mounts []Mount) []Mount {
	var out []Mount
	at := map[string]int{}
	for _, m := range mounts {
		if m.FSType != "cgroup" && m.FSType != "cgroup2" {
			continue
		}
		if i, ok := at[m.Point]; ok {
			out[i] = m
			continue
		}
		at[m.Point] = len(out)
		out = append(out, m)
	}
	return out
}

// CgroupDir maps a cgroup path, as /proc/<pid>/cgroup names it (from the
// root of the hierarchy in the reader's cgroup namespace), to its directory
// under the cgroup mount m. The mount may hold a subtree of the hierarchy
// (m.Root, as a container sees its own cgroup); ok is false when the path
// lies outside that subtree.
func (m Mount) CgroupDir(cgPath string) (dir string, ok bool) {
	root := path.Clean("/" + m.Root)
	p := path.Clean("/" + cgPath)
	rel := p
	if root != "/" {
		if p != root && !strings.HasPrefix(p, root+"/") {
			return "", false
		}
		rel = strings.TrimPrefix(p, root)
	}
	return path.Join(m.Point, rel), true
}

// Cgroup layouts.
const (
	CgroupV1     = "v1"     // only cgroup v1 hierarchies are mounted
	CgroupV2     = "v2"     // only the unified (v2) hierarchy is mounted
	CgroupHybrid = "hybrid" // v1 hierarchies and a cgroup2 mount side by side
	CgroupNone   = "none"   // no cgroup filesystem is mounted
)

// Cgroups is the cgroup layout seen in a mount table.
type Cgroups struct {
	Mode string `json:"mode"` // CgroupV1, CgroupV2, CgroupHybrid or CgroupNone
	// V1Controllers are the controllers of the mounted v1 hierarchies
	// (named hierarchies such as name=systemd included), sorted.
	V1Controllers []string `json:"v1_controllers,omitempty"`
	// V2Mount is where the cgroup2 filesystem is mounted, if it is.
	V2Mount string `json:"v2_mount,omitempty"`
	// V2Controllers are those enabled in the v2 root (its
	// cgroup.controllers); empty in hybrid mode when every controller is
	// bound to v1. Filled by Collect, not by CgroupModeOf.
	V2Controllers []string `json:"v2_controllers,omitempty"`
}

// CgroupModeOf derives the cgroup layout from a parsed mount table.
func CgroupModeOf(mounts []Mount) Cgroups {
	var c Cgroups
	seen := map[string]bool{}
	v1 := false
	for _, m := range mounts {
		switch m.FSType {
		case "cgroup":
			v1 = true
			for _, o := range strings.Split(m.Super, ",") {
				if isCgroupV1Option(o) && !seen[o] {
					seen[o] = true
					c.V1Controllers = append(c.V1Controllers, o)
				}
			}
		case "cgroup2":
			if c.V2Mount == "" {
				c.V2Mount = m.Point
			}
		}
	}
	slices.Sort(c.V1Controllers)
	switch {
	case v1 && c.V2Mount != "":
		c.Mode = CgroupHybrid
	case v1:
		c.Mode = CgroupV1
	case c.V2Mount != "":
		c.Mode = CgroupV2
	default:
		c.Mode = CgroupNone
	}
	return c
}

// isCgroupV1Option tells controllers apart from generic mount options in a
// cgroup v1 superblock option list.
func isCgroupV1Option(o string) bool {
	switch o {
	case "", "rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods":
		return false
	}
	return !strings.HasPrefix(o, "release_agent=")
}
