package runc

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/host"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseVersion(t *testing.T) {
	v, err := parseVersion(readTestdata(t, "runc-version.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := Version{Runc: "1.1.5+ds1", Commit: "1.1.5+ds1-1+deb12u1", Spec: "1.0.2-dev", Go: "go1.19.8", Libseccomp: "2.5.4"}
	if v != want {
		t.Fatalf("version = %+v, want %+v", v, want)
	}
	if _, err := parseVersion("crun version 1.8.1\n"); err == nil {
		t.Error("a crun version parsed as runc's")
	}
}

func TestErrorMessageFromJSONLog(t *testing.T) {
	msg := errorMessage([]byte(readTestdata(t, "error-does-not-exist.jsonl")))
	if msg != "container does not exist" || !isNotExist(msg) {
		t.Fatalf("message = %q", msg)
	}
	msg = errorMessage([]byte(readTestdata(t, "error-run-invalid-id.jsonl")))
	if msg != "runc run failed: invalid container ID format" || isNotExist(msg) {
		t.Fatalf("run failure message = %q", msg)
	}
	// The container's own stderr shares runc's: its lines are not runc's errors.
	mixed := "panic: probe noise\n{\"level\":\"warning\",\"msg\":\"w\"}\n{\"level\":\"error\",\"msg\":\"a\"}\n{\"level\":\"fatal\",\"msg\":\"b\"}\n"
	if got := errorMessage([]byte(mixed)); got != "a; b" {
		t.Errorf("mixed stderr message = %q, want %q", got, "a; b")
	}
	if got := errorMessage(nil); got != "" {
		t.Errorf("empty stderr message = %q", got)
	}
}

func TestParsePPidSurvivesOddCommandNames(t *testing.T) {
	pp, err := parsePPid(readTestdata(t, "proc-stat.txt"))
	if err != nil || pp != 1 {
		t.Fatalf("ppid = %d, %v; want 1", pp, err)
	}
	pp, err = parsePPid("42 (a) b (c)) S 7 42 42 0")
	if err != nil || pp != 7 {
		t.Fatalf("ppid = %d, %v; want 7", pp, err)
	}
	if _, err := parsePPid("42 no parens"); err == nil {
		t.Error("stat without a command name parsed")
	}
}

func TestDescendantsWalkTheTreeFromRoot(t *testing.T) {
	ppid := map[int]int{1: 0, 10: 1, 11: 10, 12: 10, 13: 12, 20: 1, 21: 20}
	if got, want := descendants(10, ppid), []int{10, 11, 12, 13}; !slices.Equal(got, want) {
		t.Fatalf("descendants(10) = %v, want %v", got, want)
	}
	if got := descendants(99, ppid); !slices.Equal(got, []int{99}) {
		t.Fatalf("descendants of a leaf = %v", got)
	}
}

func TestCgroupLayoutOfEachHost(t *testing.T) {
	mounts := func(name string) []host.Mount {
		m, err := host.ParseMountinfo([]byte(readTestdata(t, name)))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	hybrid, v2 := mounts("mountinfo-cgroup-v1-hybrid.txt"), mounts("mountinfo-cgroup-v2.txt")
	v1 := slices.DeleteFunc(slices.Clone(hybrid), func(m host.Mount) bool { return m.FSType == "cgroup2" })
	for _, c := range []struct {
		name   string
		mounts []host.Mount
		layout string
		ok     bool
	}{
		{"hybrid", hybrid, "v1 (memory at /sys/fs/cgroup/memory) with cgroup2 at /sys/fs/cgroup/unified: hybrid", true},
		{"v1", v1, "v1 (memory at /sys/fs/cgroup/memory)", true},
		{"v2", v2, "v2 (unified at /sys/fs/cgroup)", true},
		{"no cgroups", nil, "none", false},
	} {
		if layout, ok := cgroupLayout(c.mounts); ok != c.ok || layout != c.layout {
			t.Errorf("%s host: layout = %q, %v; want %q, %v", c.name, layout, ok, c.layout, c.ok)
		}
	}
}

func TestCRIUErrorSaysCRIUsCauseAndWhatBecameOfTheContainer(t *testing.T) {
	e := &CRIUError{Op: "checkpoint", ID: "ae-x-3",
		Cause: "(00.011090) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds",
		After: "the container is still running",
		Err:   runcError("checkpoint", []byte(`{"level":"error","msg":"criu failed: type DUMP errno 0\nlog file: /x/work/dump.log","time":"2026-11-28T16:52:33Z"}`), errors.New("exit status 1"))}
	want := "runc checkpoint ae-x-3: criu failed: (00.011090) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds; the container is still running"
	if e.Error() != want {
		t.Errorf("error = %q, want %q", e.Error(), want)
	}
	var ce *CommandError
	if !errors.As(e, &ce) || ce.Command != "checkpoint" {
		t.Errorf("runc's own error is not wrapped: %v", ce)
	}
	// No cause in the log: runc's message stands.
	e.Cause, e.After = "", ""
	if !strings.Contains(e.Error(), "runc checkpoint ae-x-3: runc checkpoint: criu failed: type DUMP errno 0") {
		t.Errorf("error without a CRIU cause = %q", e.Error())
	}
}
