package residue

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/host"
)

func recordedMounts(t *testing.T) []host.Mount {
	t.Helper()
	data, err := os.ReadFile("testdata/mountinfo-with-residue.txt")
	if err != nil {
		t.Fatal(err)
	}
	mounts, err := host.ParseMountinfo(data)
	if err != nil {
		t.Fatal(err)
	}
	return mounts
}

func points(mounts []host.Mount) []string {
	var out []string
	for _, m := range mounts {
		out = append(out, m.Point)
	}
	return out
}

func TestMatchMountsByPointSourceAndBindRoot(t *testing.T) {
	got := points(MatchMounts(recordedMounts(t), "ae-r123"))
	want := []string{"/tmp/ae-r123-rec-mnt", "/tmp/plain-bind", "/tmp/plain-mnt", "/tmp/ae-r123 spaced"}
	if !slices.Equal(got, want) {
		t.Errorf("mounts of ae-r123 = %q, want %q", got, want)
	}
	if got := MatchMounts(recordedMounts(t), "ae-r124"); len(got) != 0 {
		t.Errorf("another run's prefix matched %q", points(got))
	}
}

func TestMatchMountsUnderADirectory(t *testing.T) {
	dir := "/tmp/TestSandboxStartsCheckpointsAndRestoresTwiceFromOneImageptrace619197375"
	got := MatchMounts(recordedMounts(t), "", dir+"/")
	if len(got) != 1 || got[0].FSType != "nsfs" {
		t.Errorf("mounts under %s = %+v, want the nsfs one", dir, got)
	}
	// "/tmp/plain" is a sibling's name prefix, not a parent directory.
	if got := MatchMounts(recordedMounts(t), "", "/tmp/plain"); len(got) != 0 {
		t.Errorf("mounts under /tmp/plain = %q", points(got))
	}
	if got := MatchMounts(recordedMounts(t), "", "/tmp/plain-mnt"); len(got) != 1 {
		t.Errorf("the directory itself: %q", points(got))
	}
}

func TestMatchProcessByCommandLineOrNameOfAZombie(t *testing.T) {
	cmdline, err := os.ReadFile("testdata/cmdline-argv0-prefixed.bin")
	if err != nil {
		t.Fatal(err)
	}
	if args := host.ParseCmdline(cmdline); !slices.Equal(args, []string{"ae-r123-sleeper", "100"}) {
		t.Errorf("ParseCmdline = %q", args)
	}
	if shown, ok := MatchProcess(cmdline, nil, "ae-r123"); !ok || shown != "ae-r123-sleeper 100" {
		t.Errorf("recorded cmdline: %q %v", shown, ok)
	}
	if _, ok := MatchProcess(cmdline, nil, "ae-r124"); ok {
		t.Errorf("another prefix matched")
	}
	if shown, ok := MatchProcess(nil, []byte("ae-r123-zomb\n"), "ae-r123"); !ok || shown != "[ae-r123-zomb]" {
		t.Errorf("zombie by comm: %q %v", shown, ok)
	}
	if _, ok := MatchProcess(nil, nil, "ae-r123"); ok {
		t.Errorf("a process with neither cmdline nor comm matched")
	}
}

func TestFindDirsHonoursTheDepthLimit(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"a/ae-x", "a/ae-x/b/ae-x-child", "1/2/3/ae-x-deep", "plain/dir"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "a", "ae-x-file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "a"), filepath.Join(root, "link-ae-x")); err != nil {
		t.Fatal(err)
	}
	rel := func(ds []string) []string {
		var out []string
		for _, d := range ds {
			out = append(out, strings.TrimPrefix(d, root+"/"))
		}
		return out
	}
	got, err := FindDirs([]string{root}, "ae-x", 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a/ae-x"}; !slices.Equal(rel(got), want) {
		t.Errorf("depth 3: %q, want %q", rel(got), want)
	}
	got, err = FindDirs([]string{root, root + "/missing"}, "ae-x", 4)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"1/2/3/ae-x-deep", "a/ae-x", "a/ae-x/b/ae-x-child"}; !slices.Equal(rel(got), want) {
		t.Errorf("depth 4: %q, want %q", rel(got), want)
	}
}

func TestPathsListsOnlyWhatExists(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"ae-r1-a", "ae-r1-b", "other"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Paths(filepath.Join(dir, "ae-r1-*"), filepath.Join(dir, "ae-r1-a"), filepath.Join(dir, "absent"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "ae-r1-a"), filepath.Join(dir, "ae-r1-b")}; !slices.Equal(got, want) {
		t.Errorf("Paths = %q, want %q", got, want)
	}
	if _, err := Paths("["); err == nil {
		t.Errorf("a malformed pattern gave no error")
	}
}

func TestReportListsOneItemPerLine(t *testing.T) {
	r := Report{
		Prefix:    "ae-r1",
		Mounts:    []host.Mount{{Point: "/tmp/ae-r1-m", FSType: "tmpfs", Source: "tmpfs"}},
		Cgroups:   []string{"/sys/fs/cgroup/pids/ae-r1-1"},
		Processes: []Process{{PID: 42, Cmdline: "ae-r1-probe idle"}},
		Paths:     []string{"/tmp/ae-r1-dir"},
	}
	want := "mount /tmp/ae-r1-m (tmpfs tmpfs)\ncgroup /sys/fs/cgroup/pids/ae-r1-1\nprocess 42 ae-r1-probe idle\npath /tmp/ae-r1-dir\n"
	if r.Empty() || r.String() != want {
		t.Errorf("String() = %q, want %q", r.String(), want)
	}
	if empty := (Report{Prefix: "ae-r1"}); !empty.Empty() || empty.String() != "" {
		t.Errorf("empty report: Empty %v String %q", empty.Empty(), empty.String())
	}
}

func TestAnEmptyPrefixIsRefused(t *testing.T) {
	if _, err := Scan(Query{}); err == nil {
		t.Errorf("Scan with no prefix would list every process and cgroup")
	}
	if _, err := Processes(""); err == nil {
		t.Errorf("Processes(\"\") gave no error")
	}
	if _, err := Cgroups(""); err == nil {
		t.Errorf("Cgroups(\"\") gave no error")
	}
}
