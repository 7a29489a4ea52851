package residue

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func recordedState(t *testing.T, name string) HostState {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var st HostState
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return st
}

func delta(t *testing.T, d HostDiff, what string) Delta {
	t.Helper()
	for _, x := range d.Deltas {
		if x.What == what {
			return x
		}
	}
	t.Fatalf("no delta %q among %v", what, d.Deltas)
	return Delta{}
}

// A recorded loop on a shared host: nothing of the run's own is left, and
// what other work did meanwhile is reported as host-wide growth with its
// figure, labelled noisy; what shrank is no finding.
func TestCompareHostOnARecordedLoopSeparatesOwnResidueFromTheHostsNoise(t *testing.T) {
	d := CompareHost(recordedState(t, "hoststate-before.json"), recordedState(t, "hoststate-after.json"))
	if len(d.Own) != 0 {
		t.Errorf("own residue %v, want none", d.Own)
	}
	want := []string{
		"growth: qemu-system-x86 processes 0 → 1 (+1, host-wide: noisy)",
		"growth: qemu-system-x86 RSS 0.0 MiB → 194.4 MiB (+194.4 MiB, host-wide: noisy)",
		"growth: qemu-system-x86 open files 0 → 17 (+17, host-wide: noisy)",
		"growth: qemu-system-x86 threads 0 → 5 (+5, host-wide: noisy)",
	}
	if !slices.Equal(d.Findings, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(d.Findings, "\n"), strings.Join(want, "\n"))
	}
	if x := delta(t, d, "cgroups"); x.Before != 36 || x.After != 26 || x.Finding() {
		t.Errorf("cgroups %+v: fewer cgroups after is no finding", x)
	}
	if x := delta(t, d, "MemAvailable"); x.Growth != 24190664704-24303849472 || x.Finding() || !x.HostWide {
		t.Errorf("MemAvailable %+v: more available after is no finding", x)
	}
	if x := delta(t, d, "dockerd open files"); x.Before != 24 || x.After != 24 || x.Finding() {
		t.Errorf("dockerd files %+v", x)
	}
	if d.Clean() {
		t.Error("a diff with findings reads as clean")
	}
}

// What carries the run's prefix after the loop and not before is residue,
// and the first finding; what was there before the loop is not the loop's.
func TestCompareHostReportsTheRunsOwnResidue(t *testing.T) {
	before := recordedState(t, "hoststate-before.json")
	after := before
	before.Own = []string{"docker: image ae-1d292b4a"}
	after.Own = []string{"docker: image ae-1d292b4a", "mount /tmp/ae-1d292b4a_scratch/ae-1d292b4a-000007/rootfs (overlay overlay)", "state /run/agentic-eval/runc/ae-1d292b4a-000007"}
	d := CompareHost(before, after)
	wantOwn := after.Own[1:]
	if !slices.Equal(d.Own, wantOwn) {
		t.Errorf("own %v, want %v", d.Own, wantOwn)
	}
	if len(d.Findings) != 2 || d.Findings[0] != "residue of the run: "+wantOwn[0] {
		t.Errorf("findings %v", d.Findings)
	}
}

// Growth is judged against each figure's tolerance: any count that grows,
// a daemon's RSS past 4 MiB per process, MemAvailable past 64 MiB.
func TestCompareHostTolerances(t *testing.T) {
	base := HostState{MemAvailableBytes: 10 << 30, Mounts: 30, Cgroups: 40,
		Daemons:      []Daemon{{PID: 1, Comm: "dockerd", RSSBytes: 90 << 20, FDs: 24, Threads: 12}},
		StateEntries: map[string]int{"/run/agentic-eval/runc": 0}}
	for _, c := range []struct {
		name string
		mut  func(*HostState)
		want []string
	}{
		{"unchanged", func(*HostState) {}, nil},
		{"one more mount", func(s *HostState) { s.Mounts++ }, []string{"growth: mounts 30 → 31 (+1, host-wide: noisy)"}},
		{"one more state entry", func(s *HostState) { s.StateEntries = map[string]int{"/run/agentic-eval/runc": 1} },
			[]string{"growth: entries of /run/agentic-eval/runc 0 → 1 (+1, host-wide: noisy)"}},
		{"a state dir that appeared", func(s *HostState) { s.StateEntries = map[string]int{"/run/agentic-eval/runc": 0, "/run/netns": 2} },
			[]string{"growth: entries of /run/netns 0 → 2 (+2, host-wide: noisy)"}},
		{"dockerd RSS within tolerance", func(s *HostState) {
			s.Daemons = []Daemon{{PID: 1, Comm: "dockerd", RSSBytes: 93 << 20, FDs: 24, Threads: 12}}
		}, nil},
		{"dockerd RSS past it, and a file more", func(s *HostState) {
			s.Daemons = []Daemon{{PID: 1, Comm: "dockerd", RSSBytes: 95 << 20, FDs: 25, Threads: 12}}
		},
			[]string{"growth: dockerd RSS 90.0 MiB → 95.0 MiB (+5.0 MiB, host-wide: noisy)", "growth: dockerd open files 24 → 25 (+1, host-wide: noisy)"}},
		{"a restarted dockerd is no leak", func(s *HostState) {
			s.Daemons = []Daemon{{PID: 2, Comm: "dockerd", RSSBytes: 120 << 20, FDs: 30, Threads: 14}}
		}, nil},
		{"MemAvailable within tolerance", func(s *HostState) { s.MemAvailableBytes -= 60 << 20 }, nil},
		{"MemAvailable past it", func(s *HostState) { s.MemAvailableBytes -= 100 << 20 },
			[]string{"growth: MemAvailable 10240.0 MiB → 10140.0 MiB (+100.0 MiB, host-wide: noisy)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			after := base
			c.mut(&after)
			d := CompareHost(base, after)
			if !slices.Equal(d.Findings, c.want) {
				t.Errorf("findings %q, want %q", d.Findings, c.want)
			}
		})
	}
}

func TestParseStatusOfADaemonAndAKernelThread(t *testing.T) {
	for _, c := range []struct {
		file    string
		rss     int64
		threads int
	}{
		{"status-dockerd.txt", 92856 << 10, 12},
		{"status-kthreadd.txt", 0, 1},
	} {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			rss, threads, err := ParseStatus(b)
			if err != nil || rss != c.rss || threads != c.threads {
				t.Errorf("ParseStatus = %d, %d, %v; want %d, %d", rss, threads, err, c.rss, c.threads)
			}
		})
	}
	for _, bad := range []string{"Name:\tx\n", "Name:\tx\nThreads:\tmany\n", "VmRSS:\tlots kB\nThreads:\t1\n"} {
		if _, _, err := ParseStatus([]byte(bad)); err == nil {
			t.Errorf("ParseStatus(%q) accepted it", bad)
		}
	}
}

func TestCountDirsStopsAtItsDepth(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"a/b/c/d", "e"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "a", "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for depth, want := range map[int]int{1: 2, 2: 3, 3: 4, 8: 5} {
		if n, err := CountDirs([]string{root}, depth); err != nil || n != want {
			t.Errorf("CountDirs(depth %d) = %d, %v; want %d", depth, n, err, want)
		}
	}
	if n, err := CountDirs([]string{filepath.Join(root, "gone")}, 8); err != nil || n != 0 {
		t.Errorf("a root that does not exist: %d, %v", n, err)
	}
}

// On the real host: a state taken twice in a row carries no residue of a
// prefix nobody uses, and reads the memory and mount table.
func TestTakeHostStateOnThisHost(t *testing.T) {
	st, err := TakeHostState(HostQuery{Prefix: "ae-nobody0-"})
	if err != nil {
		t.Fatal(err)
	}
	if st.MemAvailableBytes <= 0 || st.Mounts == 0 || len(st.Own) != 0 {
		t.Errorf("state %+v", st)
	}
	if _, err := TakeHostState(HostQuery{}); err == nil {
		t.Error("an empty prefix was accepted")
	}
}
