package host

import (
	"bufio"
	"bytes"
	"strings"
)

// CPUInfo is what the harness takes from /proc/cpuinfo.
type CPUInfo struct {
	// Model is the first processor's "model name" (x86), or its
	// "Processor"/"cpu model"/"uarch" line on architectures without one;
	// empty when cpuinfo names no model.
	Model string `json:"model"`
	// Logical is the number of "processor" entries: logical CPUs online.
	Logical int `json:"logical"`
	// Flags are the first processor's feature flags (x86 "flags", arm64
	// "Features").
	Flags []string `json:"-"`
	// HasFlags says whether cpuinfo lists feature flags at all, so that
	// the absence of a flag means something.
	HasFlags bool `json:"-"`
}

// HasFlag reports whether the first processor lists flag.
func (c CPUInfo) HasFlag(flag string) bool {
	for _, f := range c.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// ParseCPUInfo parses the text of /proc/cpuinfo.
func ParseCPUInfo(data []byte) CPUInfo {
	var c CPUInfo
	var alt string // a model line from a non-x86 layout
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		key = strings.TrimSpace(key)
		val = strings.TrimSpace(val)
		switch key {
		case "processor", "Processor":
			// arm64 may have a "Processor : AArch64 ..." banner as well as
			// the numbered "processor : 0" entries.
			if isDigits(val) {
				c.Logical++
			} else if alt == "" {
				alt = val
			}
		case "model name":
			if c.Model == "" {
				c.Model = val
			}
		case "cpu model", "uarch", "cpu": // mips, riscv, powerpc
			if alt == "" && val != "" {
				alt = val
			}
		case "flags", "Features":
			if !c.HasFlags {
				c.HasFlags = true
				c.Flags = strings.Fields(val)
			}
		}
	}
	if c.Model == "" {
		c.Model = alt
	}
	return c
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
