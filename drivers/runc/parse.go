package runc

import (
	"bufio"
	"encoding/json"
	"fmt"
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

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}
