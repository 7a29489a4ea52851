package results

import "fmt"

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

// String is a compact form: "harness 3.1% CPU of 1 core, RSS 41 MiB (peak 44 MiB)".
func (c *HarnessCost) String() string {
	if c == nil {
		return "harness cost not read"
	}
	return fmt.Sprintf("harness %.1f%% of one core (%d cores), RSS %.0f MiB, peak %.0f MiB",
		c.CPUShare*100, c.Cores, float64(c.RSSBytes)/(1<<20), float64(c.PeakRSSBytes)/(1<<20))
}
