package host

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Stat is the part of /proc/<pid>/stat the harness uses.
type Stat struct {
	PID   int
	Comm  string // the command name, which may hold spaces and parentheses
	State byte   // R, S, D, Z, ...
	PPID  int
	// StartTime is when the process started, in clock ticks after boot
	// (field 22): with the PID it names one process, since a PID can be
	// reused and a start time on one boot cannot. 0 when the line is short.
	StartTime uint64
}

// ParseStat parses one /proc/<pid>/stat line. The command name is taken
// between the first "(" and the last ")", since it may itself contain both.
func ParseStat(line string) (Stat, error) {
	open := strings.IndexByte(line, '(')
	closing := strings.LastIndexByte(line, ')')
	if open < 0 || closing < open {
		return Stat{}, fmt.Errorf("stat: no command name in %q", Truncate(line, 200))
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line[:open]))
	if err != nil {
		return Stat{}, fmt.Errorf("stat: pid: %w", err)
	}
	rest := strings.Fields(line[closing+1:])
	if len(rest) < 2 || len(rest[0]) != 1 {
		return Stat{}, fmt.Errorf("stat: truncated line %q", Truncate(line, 200))
	}
	ppid, err := strconv.Atoi(rest[1])
	if err != nil {
		return Stat{}, fmt.Errorf("stat: ppid: %w", err)
	}
	st := Stat{PID: pid, Comm: line[open+1 : closing], State: rest[0][0], PPID: ppid}
	// Field 22 is the 20th after the command name.
	if len(rest) >= 20 {
		if st.StartTime, err = strconv.ParseUint(rest[19], 10, 64); err != nil {
			return Stat{}, fmt.Errorf("stat: starttime: %w", err)
		}
	}
	return st, nil
}

// ReadStat reads /proc/<pid>/stat.
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, err
	}
	return ParseStat(string(b))
}

// SameProcess reports whether pid is still the process that started at
// startTime (clock ticks after boot) and has not exited: a PID reused by
// another process does not count.
func SameProcess(pid int, startTime uint64) bool {
	st, err := ReadStat(pid)
	return err == nil && st.State != 'Z' && st.StartTime == startTime
}

// ParseCmdline splits /proc/<pid>/cmdline (NUL-separated arguments) into
// its arguments. A process that rewrote its arguments as one string
// (setproctitle) yields one argument.
func ParseCmdline(data []byte) []string {
	data = bytes.TrimRight(data, "\x00")
	if len(data) == 0 {
		return nil
	}
	return strings.Split(string(data), "\x00")
}

// Process is one host process as a scan saw it.
type Process struct {
	Stat
	Args []string // its command line; nil for kernel threads and zombies
}

// Processes is one scan of the host's process table.
type Processes map[int]Process

// ScanProcesses reads every process's stat and command line once.
// Processes that exit during the scan are left out; the calling process is
// included.
func ScanProcesses() (Processes, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("scan processes: %w", err)
	}
	out := make(Processes, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		st, err := ParseStat(string(b))
		if err != nil {
			continue
		}
		cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		out[pid] = Process{Stat: st, Args: ParseCmdline(cmd)}
	}
	return out, nil
}

// Parents maps each pid of the scan to its parent's.
func (ps Processes) Parents() map[int]int {
	m := make(map[int]int, len(ps))
	for pid, p := range ps {
		m[pid] = p.PPID
	}
	return m
}

// Descendants returns roots (those in the scan) followed by every process
// whose chain of parents leads to one of them, breadth first, each level
// sorted by pid, each pid once.
func (ps Processes) Descendants(roots ...int) []int {
	return Descendants(ps.Parents(), roots...)
}

// Match returns the pids of the scan for which keep is true, sorted.
func (ps Processes) Match(keep func(Process) bool) []int {
	var out []int
	for pid, p := range ps {
		if keep(p) {
			out = append(out, pid)
		}
	}
	slices.Sort(out)
	return out
}

// Descendants returns roots followed by every process whose chain of
// parents (parent[pid] = ppid) leads to one of them, breadth first, each
// level sorted by pid, each pid once. A root not in parent is kept: it may
// be a process the caller knows of by other means.
func Descendants(parent map[int]int, roots ...int) []int {
	children := map[int][]int{}
	for pid, ppid := range parent {
		if pid != ppid {
			children[ppid] = append(children[ppid], pid)
		}
	}
	seen := map[int]bool{}
	var out []int
	for _, r := range roots {
		if r > 0 && !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
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

// ArgNames reports whether args name id: an argument equal to it, a flag
// value equal to it (--x=id), or a path with an element equal to it or
// starting with id+"-" when prefix is set. It never matches a mere string
// prefix, so that ae-X-1 does not name ae-X-10's processes.
func ArgNames(args []string, id string, prefix bool) bool {
	if id == "" {
		return false
	}
	for _, a := range args {
		if _, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(a, "-") {
			a = v
		}
		for _, el := range strings.Split(a, "/") {
			if el == id || (prefix && strings.HasPrefix(el, id)) {
				return true
			}
		}
	}
	return false
}

// KillTree SIGKILLs the processes of roots and their descendants, rescanning
// until none of the roots' trees is left alive (zombies count as gone) or
// ctx ends. The calling process is never killed.
func KillTree(ctx context.Context, roots ...int) error {
	return KillMatching(ctx, func(p Process) bool { return slices.Contains(roots, p.PID) })
}

// KillMatching SIGKILLs every process for which match is true, and its
// descendants, rescanning until no living one is left or ctx ends.
func KillMatching(ctx context.Context, match func(Process) bool) error {
	self := os.Getpid()
	for {
		ps, err := ScanProcesses()
		if err != nil {
			return err
		}
		roots := ps.Match(func(p Process) bool { return p.PID != self && p.State != 'Z' && match(p) })
		if len(roots) == 0 {
			return nil
		}
		for _, pid := range ps.Descendants(roots...) {
			if pid != self && ps[pid].State != 'Z' {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("processes %v still alive: %w", roots, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Alive reports whether pid runs (a zombie does not).
func Alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	st, err := ParseStat(string(b))
	return err == nil && st.State != 'Z'
}

// Truncate shortens s to at most n bytes, marking the cut.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// KernelRelease is the running kernel's release (uname -r), "unknown" when
// uname fails.
func KernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}
