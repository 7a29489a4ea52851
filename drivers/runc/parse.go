package runc

import (
	"bufio"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Version is what `runc --version` reports.
type Version struct {
	Runc, Commit, Spec, Go, Libseccomp string
}

// parseVersion parses `runc --version`.
func parseVersion(out string) (Version, error) {
	var v Version
	for _, line := range strings.Split(out, "\n") {
		key, val, ok := strings.Cut(strings.TrimSpace(line), ":")
		if strings.HasPrefix(line, "runc version ") {
			v.Runc = strings.TrimSpace(strings.TrimPrefix(line, "runc version "))
			continue
		}
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "commit":
			v.Commit = val
		case "spec":
			v.Spec = val
		case "go":
			v.Go = val
		case "libseccomp":
			v.Libseccomp = val
		}
	}
	if v.Runc == "" {
		return v, fmt.Errorf("parse runc --version: no version line in %q", truncate([]byte(out)))
	}
	return v, nil
}

// errorMessage extracts runc's error messages from its stderr, written with
// --log-format json as one JSON object per line ({"level":"error","msg":...}).
// Lines that are not runc's JSON (the container's own stderr shares the
// file) are ignored. It returns "" when there is none.
func errorMessage(stderr []byte) string {
	var msgs []string
	sc := bufio.NewScanner(strings.NewReader(string(stderr)))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var l struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &l) != nil || l.Msg == "" {
			continue
		}
		if l.Level == "error" || l.Level == "fatal" {
			msgs = append(msgs, l.Msg)
		}
	}
	return strings.Join(msgs, "; ")
}

// isNotExist reports whether runc's message says the container is unknown.
func isNotExist(msg string) bool {
	return strings.Contains(msg, "container does not exist")
}

// parsePPid returns the parent pid from the text of /proc/<pid>/stat. The
// command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parsePPid(stat string) (int, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc stat: no command name in %q", truncate([]byte(stat)))
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 2 {
		return 0, fmt.Errorf("parse /proc stat: too few fields in %q", truncate([]byte(stat)))
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, fmt.Errorf("parse /proc stat: ppid: %w", err)
	}
	return ppid, nil
}

// descendants returns root and every pid below it in the parent map
// (pid -> ppid), root first, then breadth-first in ascending pid order
// within a level.
func descendants(root int, ppid map[int]int) []int {
	children := map[int][]int{}
	for pid, pp := range ppid {
		children[pp] = append(children[pp], pid)
	}
	out := []int{root}
	seen := map[int]bool{root: true}
	for i := 0; i < len(out); i++ {
		kids := children[out[i]]
		slices.Sort(kids)
		for _, k := range kids {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// procCgroups parses /proc/<pid>/cgroup into controller -> path. The cgroup
// v2 line ("0::/path") is under the key "" ; a v1 line listing several
// controllers ("4:cpu,cpuacct:/p") yields one key per controller, and named
// hierarchies keep their "name=" prefix.
func procCgroups(text string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			m[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			m[c] = parts[2]
		}
	}
	return m
}

// cgroupMount is one cgroup file system mounted on the host.
type cgroupMount struct {
	Point       string   // where it is mounted
	Root        string   // the cgroup path at its root (field 4 of mountinfo)
	V2          bool     // cgroup2
	Controllers []string // v1 controllers and names (super options), nil for v2
}

// cgroupMounts parses /proc/self/mountinfo and returns its cgroup mounts.
func cgroupMounts(mountinfo string) []cgroupMount {
	var ms []cgroupMount
	for _, line := range strings.Split(mountinfo, "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 {
			continue
		}
		switch g[0] {
		case "cgroup2":
			ms = append(ms, cgroupMount{Point: unescape(f[4]), Root: unescape(f[3]), V2: true})
		case "cgroup":
			var ctrl []string
			for _, o := range strings.Split(g[2], ",") {
				switch o {
				case "rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "clone_children", "xattr", "noprefix":
				default:
					if !strings.HasPrefix(o, "release_agent=") {
						ctrl = append(ctrl, o)
					}
				}
			}
			ms = append(ms, cgroupMount{Point: unescape(f[4]), Root: unescape(f[3]), Controllers: ctrl})
		}
	}
	return ms
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// hostPath maps a cgroup path (as /proc/<pid>/cgroup shows it) to its
// directory under mount m, or "" when the path is outside the mount's root.
func (m cgroupMount) hostPath(cgpath string) string {
	rel := cgpath
	if m.Root != "/" {
		if cgpath != m.Root && !strings.HasPrefix(cgpath, m.Root+"/") {
			return ""
		}
		rel = strings.TrimPrefix(cgpath, m.Root)
	}
	return filepath.Join(m.Point, rel)
}

// memoryCgroupDir returns the host directory of the memory cgroup that
// /proc/<pid>/cgroup text names, using the host's cgroup mounts: the v1
// memory controller when it is mounted, else the cgroup2 hierarchy (where
// memory is a controller of the unified tree). It returns "" when neither
// applies.
func memoryCgroupDir(procCgroup string, mounts []cgroupMount) string {
	cg := procCgroups(procCgroup)
	for _, m := range mounts {
		if !m.V2 && slices.Contains(m.Controllers, "memory") {
			if p, ok := cg["memory"]; ok {
				return m.hostPath(p)
			}
			return ""
		}
	}
	for _, m := range mounts {
		if m.V2 {
			if p, ok := cg[""]; ok {
				return m.hostPath(p)
			}
		}
	}
	return ""
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}
