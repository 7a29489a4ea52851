package residue

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/memstat"
)

// DefaultDaemons are the command names (as /proc/<pid>/comm has them, at
// most 15 bytes) of the long-lived runtime processes whose memory, open
// files and threads a loop of sandboxes could make grow, and of the
// per-sandbox processes that must not pile up.
var DefaultDaemons = []string{
	"dockerd", "containerd", "containerd-shim", "docker-proxy",
	"runsc", "runsc-gofer", "runsc-sandbox", "qemu-system-x86",
	"kubelet", "kube-apiserver", "etcd",
}

// DefaultStateDirs are the directories whose entries are runtime state
// (one per container, sandbox or network namespace), as globs: the OCI
// roots and the private Docker engine's exec and data roots that
// scripts/setup.sh makes, and the host's own network namespace dirs.
var DefaultStateDirs = []string{
	"/run/agentic-eval/runc", "/run/agentic-eval/crun", "/run/agentic-eval/runsc",
	"/run/agentic-eval/docker-exec/netns",
	"/run/agentic-eval/docker-exec/runtime-*/*",
	"/run/agentic-eval/docker-exec/containerd/daemon/io.containerd.runtime.v2.task/*",
	"/var/lib/agentic-eval/docker/containers",
	"/run/netns", "/var/run/docker/netns",
	// The project's own Kubernetes node (scripts/kube-up.sh): the
	// kubelet's pods and containerd's tasks.
	"/run/agentic-eval/kube/kubelet/pods",
	"/run/agentic-eval/kube/containerd/state/io.containerd.runtime.v2.task/*",
}

// LongLived are the watched daemons that outlive any sandbox: one of them
// gone between two states was restarted.
var LongLived = []string{"dockerd", "containerd", "kubelet", "kube-apiserver", "etcd"}

// HostQuery says what TakeHostState counts.
type HostQuery struct {
	// Prefix is the run's name prefix: what carries it is the run's own
	// (see Query), counted apart from the host-wide figures.
	Prefix string
	// Globs are paths of the run that must not exist (its scratch dirs).
	Globs []string
	// Daemons are command names to watch (DefaultDaemons when nil).
	Daemons []string
	// StateDirs are globs of directories whose entries are counted
	// (DefaultStateDirs when nil).
	StateDirs []string
}

// Daemon is one watched process at one moment.
type Daemon struct {
	PID      int    `json:"pid"`
	Comm     string `json:"comm"`
	RSSBytes int64  `json:"rss_bytes"`
	FDs      int    `json:"fds"`
	Threads  int    `json:"threads"`
}

// HostState is what the host holds at one moment, for a before-and-after
// comparison: host-wide counts, which other work on the host moves too,
// and the run's own residue, which only the run can leave.
type HostState struct {
	At                time.Time      `json:"at"`
	MemAvailableBytes int64          `json:"mem_available_bytes"`
	Daemons           []Daemon       `json:"daemons"`
	Mounts            int            `json:"mounts"`      // entries of this process's mount table
	NsfsMounts        int            `json:"nsfs_mounts"` // of which namespace files bound somewhere
	Cgroups           int            `json:"cgroups"`     // directories in every hierarchy, DefaultCgroupDepth deep
	StateEntries      map[string]int `json:"state_entries"`
	// Own is every object that carries the run's prefix: mounts, cgroups,
	// processes, paths and runtime state entries.
	Own []string `json:"own,omitempty"`
}

// TakeHostState counts what q describes, now.
func TakeHostState(q HostQuery) (HostState, error) {
	if q.Prefix == "" {
		return HostState{}, errNoPrefix
	}
	st := HostState{At: time.Now().UTC(), StateEntries: map[string]int{}}
	mi, err := memstat.ReadMeminfo()
	if err != nil {
		return st, fmt.Errorf("host state: %w", err)
	}
	st.MemAvailableBytes = int64(mi.MemAvailable)
	names := q.Daemons
	if names == nil {
		names = DefaultDaemons
	}
	if st.Daemons, err = daemons(names); err != nil {
		return st, fmt.Errorf("host state: %w", err)
	}
	mounts, err := host.ReadMountinfo()
	if err != nil {
		return st, fmt.Errorf("host state: %w", err)
	}
	st.Mounts = len(mounts)
	for _, m := range mounts {
		if m.FSType == "nsfs" {
			st.NsfsMounts++
		}
	}
	if st.Cgroups, err = CountDirs(CgroupRoots(mounts), DefaultCgroupDepth); err != nil {
		return st, fmt.Errorf("host state: %w", err)
	}
	dirs := q.StateDirs
	if dirs == nil {
		dirs = DefaultStateDirs
	}
	own, err := Scan(Query{Prefix: q.Prefix, Globs: q.Globs})
	if err != nil {
		return st, fmt.Errorf("host state: %w", err)
	}
	st.Own = own.Lines()
	for _, g := range dirs {
		matches, err := filepath.Glob(g)
		if err != nil {
			return st, fmt.Errorf("host state: pattern %q: %w", g, err)
		}
		for _, dir := range matches {
			fi, err := os.Lstat(dir)
			if err != nil || !fi.IsDir() {
				continue
			}
			ents, err := os.ReadDir(dir)
			if err != nil {
				continue // vanished, or not ours to read: not a count
			}
			st.StateEntries[dir] = len(ents)
			for _, e := range ents {
				if strings.Contains(e.Name(), q.Prefix) {
					st.Own = append(st.Own, "state "+filepath.Join(dir, e.Name()))
				}
			}
		}
	}
	slices.Sort(st.Own)
	st.Own = slices.Compact(st.Own)
	return st, nil
}

// daemons reads every process whose command name is one of names.
func daemons(names []string) ([]Daemon, error) {
	ps, err := host.ScanProcesses()
	if err != nil {
		return nil, err
	}
	var out []Daemon
	for _, pid := range ps.Match(func(p host.Process) bool { return p.State != 'Z' && slices.Contains(names, p.Comm) }) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			continue // exited meanwhile
		}
		rss, threads, err := ParseStatus(b)
		if err != nil {
			continue
		}
		fds, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
		if err != nil {
			continue
		}
		out = append(out, Daemon{PID: pid, Comm: ps[pid].Comm, RSSBytes: rss, FDs: len(fds), Threads: threads})
	}
	return out, nil
}

// ParseStatus reads VmRSS (in bytes) and Threads from the text of
// /proc/<pid>/status. A kernel thread has no VmRSS: 0.
func ParseStatus(data []byte) (rssBytes int64, threads int, err error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	found := false
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		switch {
		case k == "VmRSS" && len(f) == 2 && f[1] == "kB":
			kb, perr := strconv.ParseInt(f[0], 10, 64)
			if perr != nil {
				return 0, 0, fmt.Errorf("status: VmRSS %q: %w", v, perr)
			}
			rssBytes = kb << 10
		case k == "Threads" && len(f) == 1:
			if threads, err = strconv.Atoi(f[0]); err != nil {
				return 0, 0, fmt.Errorf("status: Threads %q: %w", v, err)
			}
			found = true
		}
	}
	if !found {
		return 0, 0, errors.New("status: no Threads line")
	}
	return rssBytes, threads, sc.Err()
}

// CountDirs counts the directories under each root (the roots excluded),
// at most maxDepth levels down. Directories that vanish meanwhile are not
// counted; symbolic links are not followed.
func CountDirs(roots []string, maxDepth int) (int, error) {
	n := 0
	if err := walkDirs(roots, maxDepth, func(string, string) { n++ }); err != nil {
		return 0, fmt.Errorf("count dirs: %w", err)
	}
	return n, nil
}

// Tolerances of a comparison: a host-wide memory figure moves with
// everything else the host does, so only a change past its tolerance is a
// finding; a count (files, threads, mounts, cgroups, entries) has none.
const (
	MemAvailableTolerance = 64 << 20
	DaemonRSSTolerance    = 4 << 20
)

// Delta is one figure before and after.
type Delta struct {
	What   string `json:"what"`
	Unit   string `json:"unit"` // "bytes" or "count"
	Before int64  `json:"before"`
	After  int64  `json:"after"`
	// Growth is After-Before for counts and used memory; for
	// MemAvailable, Before-After (less available is growth).
	Growth    int64 `json:"growth"`
	Tolerance int64 `json:"tolerance"`
	// HostWide marks a figure that other work on the host moves too: a
	// growth there is noisy evidence, not proof.
	HostWide bool `json:"host_wide"`
}

// Finding reports whether the delta grew past its tolerance.
func (d Delta) Finding() bool { return d.Growth > d.Tolerance }

// String is "mounts 412 → 415 (+3, host-wide: noisy)".
func (d Delta) String() string {
	f := func(v int64) string {
		if d.Unit == "bytes" {
			return fmt.Sprintf("%.1f MiB", float64(v)/(1<<20))
		}
		return strconv.FormatInt(v, 10)
	}
	s := fmt.Sprintf("%s %s → %s (%s%s", d.What, f(d.Before), f(d.After), sign(d.Growth), f(abs(d.Growth)))
	if d.HostWide {
		s += ", host-wide: noisy"
	}
	return s + ")"
}

func sign(v int64) string {
	if v < 0 {
		return "-"
	}
	return "+"
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// HostDiff is a comparison of two host states.
type HostDiff struct {
	// Own is the run's residue found after and not before: it must be
	// empty. It is proof, since only the run names things with its prefix.
	Own []string `json:"own,omitempty"`
	// Deltas are the host-wide figures, each before and after.
	Deltas []Delta `json:"deltas"`
	// Findings are the run's own residue and every host-wide growth past
	// its tolerance, one line each with its figure.
	Findings []string `json:"findings,omitempty"`
	// DaemonsGone lists long-lived daemons (LongLived) present before and
	// gone after: a restart, which makes their own deltas meaningless.
	DaemonsGone []string `json:"daemons_gone,omitempty"`
}

// Clean reports whether the comparison found nothing: no residue of the
// run's and no host-wide growth.
func (d HostDiff) Clean() bool { return len(d.Findings) == 0 }

// CompareHost compares two states of the host, taken before and after a
// loop that should have left it as it was.
func CompareHost(before, after HostState) HostDiff {
	var d HostDiff
	for _, o := range after.Own {
		if !slices.Contains(before.Own, o) {
			d.Own = append(d.Own, o)
		}
	}
	add := func(what, unit string, b, a, growth, tol int64) {
		d.Deltas = append(d.Deltas, Delta{What: what, Unit: unit, Before: b, After: a, Growth: growth, Tolerance: tol, HostWide: true})
	}
	add("MemAvailable", "bytes", before.MemAvailableBytes, after.MemAvailableBytes, before.MemAvailableBytes-after.MemAvailableBytes, MemAvailableTolerance)
	// Daemons by command name: per-sandbox processes (shims, gofers) that
	// pile up show in the count, a long-lived daemon's leak in its RSS,
	// files and threads.
	type sum struct{ n, rss, fds, threads int64 }
	group := func(ds []Daemon) (map[string]sum, []string) {
		m := map[string]sum{}
		var names []string
		for _, x := range ds {
			s, ok := m[x.Comm]
			if !ok {
				names = append(names, x.Comm)
			}
			s.n++
			s.rss += x.RSSBytes
			s.fds += int64(x.FDs)
			s.threads += int64(x.Threads)
			m[x.Comm] = s
		}
		return m, names
	}
	bm, bn := group(before.Daemons)
	am, an := group(after.Daemons)
	names := append(bn, an...)
	slices.Sort(names)
	names = slices.Compact(names)
	for _, name := range names {
		b, a := bm[name], am[name]
		add(name+" processes", "count", b.n, a.n, a.n-b.n, 0)
		add(name+" RSS", "bytes", b.rss, a.rss, a.rss-b.rss, DaemonRSSTolerance*max(b.n, a.n))
		add(name+" open files", "count", b.fds, a.fds, a.fds-b.fds, 0)
		add(name+" threads", "count", b.threads, a.threads, a.threads-b.threads, 0)
	}
	for _, x := range before.Daemons {
		if slices.Contains(LongLived, x.Comm) && !slices.ContainsFunc(after.Daemons, func(y Daemon) bool { return y.PID == x.PID && y.Comm == x.Comm }) {
			d.DaemonsGone = append(d.DaemonsGone, fmt.Sprintf("%s %d", x.Comm, x.PID))
		}
	}
	add("mounts", "count", int64(before.Mounts), int64(after.Mounts), int64(after.Mounts-before.Mounts), 0)
	add("nsfs mounts", "count", int64(before.NsfsMounts), int64(after.NsfsMounts), int64(after.NsfsMounts-before.NsfsMounts), 0)
	add("cgroups", "count", int64(before.Cgroups), int64(after.Cgroups), int64(after.Cgroups-before.Cgroups), 0)
	var dirs []string
	for k := range before.StateEntries {
		dirs = append(dirs, k)
	}
	for k := range after.StateEntries {
		dirs = append(dirs, k)
	}
	slices.Sort(dirs)
	for _, dir := range slices.Compact(dirs) {
		b, a := int64(before.StateEntries[dir]), int64(after.StateEntries[dir])
		add("entries of "+dir, "count", b, a, a-b, 0)
	}
	for _, o := range d.Own {
		d.Findings = append(d.Findings, "residue of the run: "+o)
	}
	for _, x := range d.Deltas {
		if x.Finding() && !daemonGone(x.What, d.DaemonsGone) {
			d.Findings = append(d.Findings, "growth: "+x.String())
		}
	}
	return d
}

// daemonGone reports whether a daemon's figure belongs to a daemon that
// was replaced between the two states (its growth is a restart's).
func daemonGone(what string, gone []string) bool {
	for _, g := range gone {
		comm, _, _ := strings.Cut(g, " ")
		if strings.HasPrefix(what, comm+" ") && !strings.HasSuffix(what, " processes") {
			return true
		}
	}
	return false
}
