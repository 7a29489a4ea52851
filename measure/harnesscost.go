package measure

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// HarnessCost is what the harness process itself spent while a sweep ran:
// its CPU (user and system, its own threads only: the runtimes' commands
// it runs are children and are not counted) over the sweep's wall time,
// and its memory. It shows whether the harness could be the bottleneck of
// what it measures: a share near the host's cores would be.
type HarnessCost struct {
	WallNS   int64 `json:"wall_ns"`
	UserNS   int64 `json:"user_ns"`
	SystemNS int64 `json:"system_ns"`
	// CPUShare is (user + system) / wall: 1.0 is one core busy all along.
	CPUShare float64 `json:"cpu_share"`
	// Cores is how many cores the host has, to read CPUShare against.
	Cores int `json:"cores"`
	// RSSBytes is the harness's resident set at the sweep's end; PeakRSSBytes
	// its high-water mark (VmHWM) during the sweep when PeakReset, else over
	// the process's life so far.
	RSSBytes     int64 `json:"rss_bytes"`
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	PeakReset    bool  `json:"peak_reset"`
}

// costMeter measures a HarnessCost from its start to stop.
type costMeter struct {
	t0        time.Time
	ru0       unix.Rusage
	peakReset bool
	err       error
}

// startCost starts measuring the harness's own cost. It resets the
// process's peak RSS (writing 5 to /proc/self/clear_refs) so that the peak
// is the sweep's own; where the kernel refuses, the peak is the life's.
func startCost() *costMeter {
	m := &costMeter{}
	m.peakReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	m.err = unix.Getrusage(unix.RUSAGE_SELF, &m.ru0)
	m.t0 = time.Now()
	return m
}

// stop ends the measurement; nil when the counters could not be read.
func (m *costMeter) stop(cores int) *HarnessCost {
	wall := time.Since(m.t0)
	var ru unix.Rusage
	if m.err != nil || unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil || wall <= 0 {
		return nil
	}
	user := time.Duration(ru.Utime.Nano() - m.ru0.Utime.Nano())
	sys := time.Duration(ru.Stime.Nano() - m.ru0.Stime.Nano())
	c := &HarnessCost{
		WallNS: int64(wall), UserNS: int64(user), SystemNS: int64(sys),
		CPUShare: float64(user+sys) / float64(wall), Cores: cores, PeakReset: m.peakReset,
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		if st, err := parseProcStatusMemory(b); err == nil {
			c.RSSBytes, c.PeakRSSBytes = st.rss, st.hwm
		}
	}
	return c
}

type statusMemory struct{ rss, hwm int64 }

// parseProcStatusMemory reads VmRSS and VmHWM (in kB) from the text of
// /proc/PID/status.
func parseProcStatusMemory(b []byte) (statusMemory, error) {
	var st statusMemory
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return st, fmt.Errorf("status line %q: want a size in kB", sc.Text())
		}
		v, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || v < 0 {
			return st, fmt.Errorf("status line %q: want a size in kB", sc.Text())
		}
		if name == "VmRSS" {
			st.rss = v << 10
		} else {
			st.hwm = v << 10
		}
		found++
	}
	if found != 2 {
		return st, fmt.Errorf("status has no VmRSS and VmHWM lines")
	}
	return st, nil
}

// String is a compact form: "harness 3.1% CPU of 1 core, RSS 41 MiB (peak 44 MiB)".
func (c *HarnessCost) String() string {
	if c == nil {
		return "harness cost not read"
	}
	return fmt.Sprintf("harness %.1f%% of one core (%d cores), RSS %.0f MiB, peak %.0f MiB",
		c.CPUShare*100, c.Cores, float64(c.RSSBytes)/mib, float64(c.PeakRSSBytes)/mib)
}
