package memstat

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Stat is the part of /proc/<pid>/stat the harness uses.
type Stat struct {
	PID   int
	Comm  string // the command name, which may hold spaces and parentheses
	State byte   // R, S, D, Z, ...
	PPID  int
}

// ParseStat parses one /proc/<pid>/stat line. The command name is taken
// between the first "(" and the last ")", since it may itself contain both.
func ParseStat(line string) (Stat, error) {
	open := strings.IndexByte(line, '(')
	closing := strings.LastIndexByte(line, ')')
	if open < 0 || closing < open {
		return Stat{}, fmt.Errorf("stat: no command name in %q", line)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line[:open]))
	if err != nil {
		return Stat{}, fmt.Errorf("stat: pid: %w", err)
	}
	rest := strings.Fields(line[closing+1:])
	if len(rest) < 2 || len(rest[0]) != 1 {
		return Stat{}, fmt.Errorf("stat: truncated line %q", line)
	}
	ppid, err := strconv.Atoi(rest[1])
	if err != nil {
		return Stat{}, fmt.Errorf("stat: ppid: %w", err)
	}
	return Stat{PID: pid, Comm: line[open+1 : closing], State: rest[0][0], PPID: ppid}, nil
}

// Descendants returns root followed by every process whose chain of
// parents (parent[pid] = ppid) leads to root, in breadth-first order, each
// level sorted by pid.
func Descendants(root int, parent map[int]int) []int {
	children := map[int][]int{}
	for pid, ppid := range parent {
		if pid != root {
			children[ppid] = append(children[ppid], pid)
		}
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		kids := children[out[i]]
		slices.Sort(kids)
		out = append(out, kids...)
	}
	return out
}

// ProcessTree returns pid and all its descendants (from the ppid field of
// every /proc/<n>/stat), pid first. Processes that exit during the scan
// are left out; pid itself being gone is ErrProcessGone. A descendant whose
// parent exited was reparented (to init or a subreaper) and is no longer
// found, which is why a driver should name the sandbox's processes by its
// own means where it can.
func ProcessTree(pid int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("process tree of %d: %w", pid, err)
	}
	parent := map[int]int{}
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // exited while we looked
		}
		st, err := ParseStat(string(data))
		if err != nil {
			return nil, fmt.Errorf("process tree of %d: pid %d: %w", pid, n, err)
		}
		parent[st.PID] = st.PPID
	}
	if _, ok := parent[pid]; !ok {
		return nil, fmt.Errorf("process tree of %d: %w", pid, ErrProcessGone)
	}
	return Descendants(pid, parent), nil
}
