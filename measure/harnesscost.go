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

	"github.com/agentic-eval/agentic-eval/results"
)

// costMeter measures a HarnessCost from its start to stop.
type costMeter struct {
	t0        time.Time
	ru0       unix.Rusage
	peakReset bool
	err       error
}

// startCost starts measuring the harness's own cost. It resets the
// process's peak RSS (writing 5 to /proc/self/clear_refs) so that the peak
// is the reap's own; where the kernel refuses, the peak is the life's.
func startCost() *costMeter {
	m := &costMeter{}
	m.peakReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	m.err = unix.Getrusage(unix.RUSAGE_SELF, &m.ru0)
	m.t0 = time.Now()
	return m
}

// stop ends the measurement; nil when the counters could not be read.
func (m *costMeter) stop(cores int) *results.HarnessCost {
	wall := time.Since(m.t0)
	var ru unix.Rusage
	if m.err != nil || unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil || wall <= 0 {
		return nil
	}
	user := time.Duration(ru.Utime.Nano() - m.ru0.Utime.Nano())
	sys := time.Duration(ru.Stime.Nano() - m.ru0.Stime.Nano())
	c := &results.HarnessCost{
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
