// Package memstat reads how much host memory a sandbox costs: system-wide
// from /proc/meminfo, per process from /proc/<pid>/smaps_rollup, and per
// memory cgroup (v1 or v2) from the cgroup's own counters.
//
// Its opinions: PSS, not RSS, is a process's fair share of memory (shared
// pages are split among their users, so the PSS of N sandboxes adds up to
// what they really cost), and a cgroup's charged bytes add what PSS cannot
// see (kernel memory, page cache charged to the sandbox). Every figure is
// reported in bytes with the raw kernel fields next to it, so that a
// reader can re-derive it. A process that exits while it is being measured
// is a normal event in a fleet of short-lived sandboxes: it is reported as
// ErrProcessGone (errors.Is), distinct from a permission or parse error,
// and SumPSS lists such pids rather than failing.
//
// Parsing is separate from reading: ParseMeminfo, ParseSmapsRollup,
// ParseMemoryStat, ParseStat and MemoryCgroupDir are pure and tested on
// text recorded from a real host (testdata/; cgroup v2 samples are written
// from the kernel's documentation, since the recording host has none).
package memstat
