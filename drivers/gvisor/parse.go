package gvisor

import (
	"bytes"
	"debug/elf"
	"fmt"
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
