package memstat

import (
	"errors"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/host"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseMeminfoKeepsEveryFieldInBytes(t *testing.T) {
	data := readTestdata(t, "meminfo.txt")
	m, err := ParseMeminfo(data)
	if err != nil {
		t.Fatal(err)
	}
	if m.MemTotal != 24683652*1024 || m.MemAvailable != 24157472*1024 || m.Cached != 1378076*1024 {
		t.Errorf("MemTotal %d MemAvailable %d Cached %d", m.MemTotal, m.MemAvailable, m.Cached)
	}
	if m.Bytes["Active(anon)"] != 1596*1024 || m.Bytes["DirectMap1G"] != 25165824*1024 {
		t.Errorf("Active(anon) %d DirectMap1G %d", m.Bytes["Active(anon)"], m.Bytes["DirectMap1G"])
	}
	if v, ok := m.Counts["HugePages_Total"]; !ok || v != 0 {
		t.Errorf("HugePages_Total is a count, got %d present=%v", v, ok)
	}
	lines := strings.Count(strings.TrimSpace(string(data)), "\n") + 1
	if got := len(m.Bytes) + len(m.Counts); got != lines {
		t.Errorf("parsed %d fields from %d lines", got, lines)
	}
	if !m.Has("MemAvailable") || m.Has("NoSuchField") {
		t.Errorf("Has misreports")
	}
}

func TestParseMeminfoRejectsMalformedText(t *testing.T) {
	for _, text := range []string{
		"MemTotal: lots kB\n",
		"MemTotal: 1 MB\n",
		"MemTotal 1 kB\n",
		"MemFree: 1 kB\n", // no MemTotal
	} {
		if _, err := ParseMeminfo([]byte(text)); err == nil {
			t.Errorf("ParseMeminfo(%q) = nil error", text)
		}
	}
}

func TestParseSmapsRollupOfAnIdleProcess(t *testing.T) {
	r, err := ParseSmapsRollup(readTestdata(t, "smaps_rollup-sleep.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := Rollup{Rss: 1756 << 10, Pss: 263 << 10, PssDirty: 108 << 10, PssAnon: 108 << 10, PssFile: 155 << 10,
		SharedClean: 1644 << 10, PrivateClean: 4 << 10, PrivateDirty: 108 << 10, Anonymous: 108 << 10}
	r2 := r
	r2.Fields = nil
	if !reflect.DeepEqual(r2, want) {
		t.Errorf("rollup\n got %+v\nwant %+v", r2, want)
	}
	if len(r.Fields) != 22 || r.Fields["Referenced"] != 1756<<10 {
		t.Errorf("Fields has %d entries, Referenced %d", len(r.Fields), r.Fields["Referenced"])
	}
	if r.Pss != r.PssAnon+r.PssFile+r.PssShmem {
		t.Errorf("Pss %d != Pss_Anon+Pss_File+Pss_Shmem %d", r.Pss, r.PssAnon+r.PssFile+r.PssShmem)
	}
}

func TestParseSmapsSumsMappingsToTheRollup(t *testing.T) {
	full, err := ParseSmapsRollup(readTestdata(t, "smaps-sleep.txt"))
	if err != nil {
		t.Fatal(err)
	}
	rollup, err := ParseSmapsRollup(readTestdata(t, "smaps_rollup-sleep.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if full.Rss != rollup.Rss || full.Anonymous != rollup.Anonymous || full.PrivateDirty != rollup.PrivateDirty {
		t.Errorf("smaps sum Rss %d Anonymous %d, rollup Rss %d Anonymous %d", full.Rss, full.Anonymous, rollup.Rss, rollup.Anonymous)
	}
	// Per-mapping Pss is rounded down to kB, the rollup's is not: the sum
	// may fall short by under 1 kB per mapping.
	mappings := strings.Count(string(readTestdata(t, "smaps-sleep.txt")), "\nSize:") + 1
	if full.Pss > rollup.Pss || rollup.Pss-full.Pss > uint64(mappings)<<10 {
		t.Errorf("smaps Pss %d vs rollup %d over %d mappings", full.Pss, rollup.Pss, mappings)
	}
	if _, ok := full.Fields["THPeligible"]; ok {
		t.Errorf("non-size field THPeligible was summed")
	}
}

func TestParseSmapsRollupOfNoAddressSpaceIsZero(t *testing.T) {
	r, err := ParseSmapsRollup(nil)
	if err != nil || r.Pss != 0 || len(r.Fields) != 0 {
		t.Errorf("empty rollup: %+v, %v", r, err)
	}
}

func TestParseCgroupMemoryV1Recorded(t *testing.T) {
	files := map[string][]byte{}
	for _, name := range []string{"memory.stat", "memory.usage_in_bytes", "memory.kmem.usage_in_bytes", "memory.memsw.usage_in_bytes", "memory.max_usage_in_bytes"} {
		files[name] = readTestdata(t, "cgroup-v1/"+name)
	}
	c, err := ParseCgroupMemory(1, files)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 1 || c.Charged != 16564224 || c.Anon != 1757184 || c.File != 12812288 || c.Kernel != 2199552 || c.Swap != 0 {
		t.Errorf("v1: %+v", c)
	}
	if c.Stat["total_pgfault"] != 49895 || c.Counters["memory.memsw.usage_in_bytes"] == 0 {
		t.Errorf("raw fields lost: total_pgfault %d memsw %d", c.Stat["total_pgfault"], c.Counters["memory.memsw.usage_in_bytes"])
	}
	delete(files, "memory.kmem.usage_in_bytes")
	if c, err := ParseCgroupMemory(1, files); err != nil || c.Kernel != 0 {
		t.Errorf("optional kmem counter: %+v, %v", c, err)
	}
	delete(files, "memory.usage_in_bytes")
	if _, err := ParseCgroupMemory(1, files); err == nil || !strings.Contains(err.Error(), "memory.usage_in_bytes") {
		t.Errorf("missing usage: err = %v", err)
	}
}

func TestParseCgroupMemoryV2FromTheKernelDocsFormat(t *testing.T) {
	files := map[string][]byte{
		"memory.stat":         readTestdata(t, "cgroup-v2/memory.stat"),
		"memory.current":      readTestdata(t, "cgroup-v2/memory.current"),
		"memory.swap.current": readTestdata(t, "cgroup-v2/memory.swap.current"),
	}
	c, err := ParseCgroupMemory(2, files)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 2 || c.Charged != 9134080 || c.Anon != 1839104 || c.File != 5705728 || c.Kernel != 1470464 {
		t.Errorf("v2: %+v", c)
	}
	// Before Linux 5.18 there is no "kernel" field: its parts are summed.
	stat := strings.ReplaceAll(string(files["memory.stat"]), "kernel 1470464\n", "")
	files["memory.stat"] = []byte(stat)
	c, err = ParseCgroupMemory(2, files)
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(32768 + 126976 + 360 + 1296224); c.Kernel != want {
		t.Errorf("kernel from parts = %d, want %d", c.Kernel, want)
	}
	if _, err := ParseMemoryStat([]byte("anon\n")); err == nil {
		t.Errorf("malformed memory.stat parsed")
	}
}

func TestMemoryCgroupDirInEachLayout(t *testing.T) {
	hybrid, err := host.ParseMountinfo(readTestdata(t, "mountinfo-hybrid.txt"))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := host.ParseMountinfo(readTestdata(t, "mountinfo-v2-written.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dir, version, err := MemoryCgroupDir(readTestdata(t, "proc-cgroup-hybrid.txt"), hybrid)
	if err != nil || version != 1 || dir != "/sys/fs/cgroup/memory/process_api/5ab8c60bab8699bec89ca05483dc5dd8" {
		t.Errorf("hybrid: %q v%d %v", dir, version, err)
	}
	dir, version, err = MemoryCgroupDir(readTestdata(t, "proc-cgroup-v2-written.txt"), v2)
	if err != nil || version != 2 || dir != "/sys/fs/cgroup/system.slice/ae-r123-1.scope" {
		t.Errorf("v2: %q v%d %v", dir, version, err)
	}
	// Without the v1 memory hierarchy the recorded shell's memory cgroup is
	// its v2 one, "0::/": the root.
	noV1Memory := slices.DeleteFunc(slices.Clone(hybrid), func(m host.Mount) bool { return m.HasSuperOption("memory") })
	dir, version, err = MemoryCgroupDir(readTestdata(t, "proc-cgroup-hybrid.txt"), noV1Memory)
	if !errors.Is(err, ErrRootCgroup) || version != 2 || dir != "/sys/fs/cgroup/unified" {
		t.Errorf("hybrid without v1 memory: %q v%d %v, want the v2 root and ErrRootCgroup", dir, version, err)
	}
	if _, _, err := MemoryCgroupDir(readTestdata(t, "proc-cgroup-hybrid.txt"), nil); err == nil {
		t.Errorf("no cgroup mounts: want an error")
	}
}

func TestMemoryCgroupDirUnderASubtreeMount(t *testing.T) {
	// A container sees its own cgroup mounted at /sys/fs/cgroup/memory.
	mounts := []host.Mount{{FSType: "cgroup", Super: "rw,memory", Root: "/docker/abc", Point: "/sys/fs/cgroup/memory"}}
	dir, _, err := MemoryCgroupDir([]byte("4:memory:/docker/abc/child\n"), mounts)
	if err != nil || dir != "/sys/fs/cgroup/memory/child" {
		t.Errorf("inside subtree: %q %v", dir, err)
	}
	if _, _, err := MemoryCgroupDir([]byte("4:memory:/docker/abcdef\n"), mounts); err == nil || errors.Is(err, ErrRootCgroup) {
		t.Errorf("a sibling that shares a name prefix was mapped under the mount: %v", err)
	}
	// The subtree's own root is the top of what the reader sees: no cgroup
	// of the process's own.
	dir, _, err = MemoryCgroupDir([]byte("4:memory:/docker/abc\n"), mounts)
	if !errors.Is(err, ErrRootCgroup) || dir != "/sys/fs/cgroup/memory" {
		t.Errorf("at the subtree's root: %q %v, want ErrRootCgroup", dir, err)
	}
}

func TestMemoryCgroupDirOfARootProcessIsErrRootCgroup(t *testing.T) {
	hybrid, err := host.ParseMountinfo(readTestdata(t, "mountinfo-hybrid.txt"))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := host.ParseMountinfo(readTestdata(t, "mountinfo-v2-written.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// The recorded shell's lines, moved to the root of every hierarchy (as
	// pid 1 and kernel threads are).
	rootHybrid := regexp.MustCompile(`(?m):/.*$`).ReplaceAll(readTestdata(t, "proc-cgroup-hybrid.txt"), []byte(":/"))
	for _, c := range []struct {
		name    string
		cgroup  []byte
		mounts  []host.Mount
		dir     string
		version int
	}{
		{"hybrid host, v1 memory root", rootHybrid, hybrid, "/sys/fs/cgroup/memory", 1},
		{"v2-only host, root", []byte("0::/\n"), v2, "/sys/fs/cgroup", 2},
	} {
		dir, version, err := MemoryCgroupDir(c.cgroup, c.mounts)
		if !errors.Is(err, ErrRootCgroup) {
			t.Errorf("%s: err = %v, want ErrRootCgroup", c.name, err)
		}
		if dir != c.dir || version != c.version {
			t.Errorf("%s: root %q v%d, want %q v%d", c.name, dir, version, c.dir, c.version)
		}
	}
	// A cgroup below the root is no root, even one named like it.
	if dir, _, err := MemoryCgroupDir([]byte("0::/system.slice\n"), v2); err != nil || dir != "/sys/fs/cgroup/system.slice" {
		t.Errorf("a top-level cgroup: %q %v", dir, err)
	}
}
