package memstat

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// kbField parses the "Name:   1234 kB" (or unit-less "Name: 12") lines of
// /proc/meminfo and smaps files. It returns the name, the value in bytes
// (or as a plain count when the line has no unit), whether it had a unit,
// and whether the line is such a field at all.
func kbField(line string) (name string, value uint64, hasUnit bool, err error) {
	name, rest, ok := strings.Cut(line, ":")
	if !ok {
		return "", 0, false, fmt.Errorf("no colon in %q", line)
	}
	f := strings.Fields(rest)
	switch {
	case len(f) == 1:
	case len(f) == 2 && f[1] == "kB":
		hasUnit = true
	default:
		return "", 0, false, fmt.Errorf("field %s: unexpected value %q", name, strings.TrimSpace(rest))
	}
	v, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return "", 0, false, fmt.Errorf("field %s: %w", name, err)
	}
	if hasUnit {
		v *= 1024
	}
	return strings.TrimSpace(name), v, hasUnit, nil
}

// ParseMemoryStat parses a cgroup memory.stat file (v1 or v2): one
// "name value" pair per line, values as the kernel wrote them (bytes for
// sizes, counts for events).
func ParseMemoryStat(data []byte) (map[string]uint64, error) {
	stat := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("memory.stat line %d: malformed %q", n, line)
		}
		v, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("memory.stat line %d: %w", n, err)
		}
		stat[f[0]] = v
	}
	return stat, sc.Err()
}

// ParseCounter parses a single-number cgroup file such as memory.current or
// memory.usage_in_bytes.
func ParseCounter(data []byte) (uint64, error) {
	s := strings.TrimSpace(string(data))
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cgroup counter %q: %w", s, err)
	}
	return v, nil
}
