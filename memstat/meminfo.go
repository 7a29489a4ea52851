package memstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
)

// Meminfo is /proc/meminfo. The named fields are the ones the harness
// reads; Bytes and Counts hold every field the kernel wrote.
type Meminfo struct {
	MemTotal     uint64 `json:"mem_total"`
	MemFree      uint64 `json:"mem_free"`
	MemAvailable uint64 `json:"mem_available"`
	Buffers      uint64 `json:"buffers"`
	Cached       uint64 `json:"cached"`
	Shmem        uint64 `json:"shmem"`
	AnonPages    uint64 `json:"anon_pages"`
	Slab         uint64 `json:"slab"`
	SwapTotal    uint64 `json:"swap_total"`
	SwapFree     uint64 `json:"swap_free"`
	// Bytes is every field given in kB, converted to bytes, by the
	// kernel's name ("MemAvailable", "Active(anon)", ...).
	Bytes map[string]uint64 `json:"bytes"`
	// Counts is every field without a unit (HugePages_Total, ...).
	Counts map[string]uint64 `json:"counts,omitempty"`
}

// Has reports whether the kernel wrote the named field (MemAvailable is
// absent before Linux 3.14).
func (m Meminfo) Has(name string) bool {
	_, a := m.Bytes[name]
	_, b := m.Counts[name]
	return a || b
}

// ParseMeminfo parses the text of /proc/meminfo. Sizes are converted from
// kB to bytes.
func ParseMeminfo(data []byte) (Meminfo, error) {
	m := Meminfo{Bytes: map[string]uint64{}, Counts: map[string]uint64{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		name, v, unit, err := kbField(sc.Text())
		if err != nil {
			return Meminfo{}, fmt.Errorf("meminfo line %d: %w", n, err)
		}
		if unit {
			m.Bytes[name] = v
		} else {
			m.Counts[name] = v
		}
	}
	if err := sc.Err(); err != nil {
		return Meminfo{}, fmt.Errorf("meminfo: %w", err)
	}
	if _, ok := m.Bytes["MemTotal"]; !ok {
		return Meminfo{}, fmt.Errorf("meminfo: no MemTotal field")
	}
	m.MemTotal = m.Bytes["MemTotal"]
	m.MemFree = m.Bytes["MemFree"]
	m.MemAvailable = m.Bytes["MemAvailable"]
	m.Buffers = m.Bytes["Buffers"]
	m.Cached = m.Bytes["Cached"]
	m.Shmem = m.Bytes["Shmem"]
	m.AnonPages = m.Bytes["AnonPages"]
	m.Slab = m.Bytes["Slab"]
	m.SwapTotal = m.Bytes["SwapTotal"]
	m.SwapFree = m.Bytes["SwapFree"]
	return m, nil
}

// ReadMeminfo reads and parses /proc/meminfo.
func ReadMeminfo() (Meminfo, error) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return Meminfo{}, fmt.Errorf("read meminfo: %w", err)
	}
	return ParseMeminfo(data)
}
