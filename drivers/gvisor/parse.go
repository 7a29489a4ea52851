package gvisor

import (
	"bytes"
	"debug/elf"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Parsing of everything runsc and the kernel print, separated from running
// them so that it is unit-tested on recorded text (testdata/).

// parseVersion parses `runsc --version`: "runsc version X" and "spec: Y".
func parseVersion(out string) (version, spec string) {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "runsc version "); ok {
			version = strings.TrimSpace(v)
		} else if v, ok := strings.CutPrefix(line, "spec:"); ok {
			spec = strings.TrimSpace(v)
		}
	}
	return version, spec
}

// isNotExist reports whether runsc's error output says the container does
// not exist ("loading container: file does not exist").
func isNotExist(stderr string) bool {
	return strings.Contains(stderr, "file does not exist") ||
		strings.Contains(stderr, "container does not exist") ||
		strings.Contains(stderr, "no such file or directory")
}

// elfInterp returns the program interpreter (PT_INTERP) of the ELF file f,
// or "" for a statically linked binary.
func elfInterp(f *elf.File) (string, error) {
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			return "", fmt.Errorf("read PT_INTERP: %w", err)
		}
		return string(bytes.TrimRight(b, "\x00")), nil
	}
	return "", nil
}

// procStat is the part of /proc/PID/stat the driver needs.
type procStat struct {
	PID  int
	Comm string
	PPID int
}

// parseProcStat parses /proc/PID/stat; comm may hold spaces and
// parentheses, so the fields after it are found from the last ')'.
func parseProcStat(text string) (procStat, error) {
	open := strings.IndexByte(text, '(')
	end := strings.LastIndexByte(text, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("parse proc stat %q: no comm", truncate([]byte(text)))
	}
	pid, err := strconv.Atoi(strings.TrimSpace(text[:open]))
	if err != nil {
		return procStat{}, fmt.Errorf("parse proc stat pid: %w", err)
	}
	rest := strings.Fields(text[end+1:])
	if len(rest) < 2 {
		return procStat{}, fmt.Errorf("parse proc stat %d: short", pid)
	}
	ppid, err := strconv.Atoi(rest[1])
	if err != nil {
		return procStat{}, fmt.Errorf("parse proc stat %d ppid: %w", pid, err)
	}
	return procStat{PID: pid, Comm: text[open+1 : end], PPID: ppid}, nil
}

// runscProc describes a host process started by runsc: its --root, its
// --bundle and its subcommand, read from its command line.
type runscProc struct {
	Root    string
	Bundle  string
	Command string // "boot" (the sandbox), "gofer", or another subcommand
	ID      string // the container ID: runsc passes it last
}

// parseRunscCmdline parses a NUL-separated /proc/PID/cmdline. ok is false
// for processes that are not runsc's (no --root flag before a known
// subcommand).
func parseRunscCmdline(raw []byte) (p runscProc, ok bool) {
	args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	if len(args) == 0 {
		return p, false
	}
	base := filepath.Base(args[0])
	if !strings.HasPrefix(base, "runsc") {
		return p, false
	}
	for i := 1; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case !strings.HasPrefix(a, "-"):
			if p.Command == "" {
				p.Command = a
			}
		case name == "root" || name == "bundle":
			if !hasVal && i+1 < len(args) {
				i++
				val = args[i]
			}
			if name == "root" {
				p.Root = val
			} else {
				p.Bundle = val
			}
		}
	}
	if last := args[len(args)-1]; len(args) > 2 && !strings.HasPrefix(last, "-") && last != p.Command {
		p.ID = last
	}
	return p, p.Root != ""
}

// descendants returns pids and, transitively, all their children, given the
// parent of every process.
func descendants(roots []int, parent map[int]int) []int {
	children := map[int][]int{}
	for pid, pp := range parent {
		children[pp] = append(children[pp], pid)
	}
	seen := map[int]bool{}
	var out []int
	stack := append([]int(nil), roots...)
	for len(stack) > 0 {
		pid := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[pid] {
			continue
		}
		seen[pid] = true
		out = append(out, pid)
		stack = append(stack, children[pid]...)
	}
	return out
}

// capEff parses the CapEff mask from /proc/PID/status.
func capEff(status string) (uint64, error) {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, fmt.Errorf("no CapEff in status")
}

// statusField returns a field of /proc/PID/status ("Seccomp", ...).
func statusField(status, name string) string {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func truncate(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
