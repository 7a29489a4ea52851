package docker

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/host"
)

func TestIsShimOnRecordedCommandNames(t *testing.T) {
	// Recorded on this host: pid 1, dockerd, containerd, a container's
	// shim (containerd-shim-runc-v2, cut to 15 bytes) and its probe.
	want := map[string]bool{"1": false, "11756": false, "11763": false, "19003": true, "19024": false}
	for pid, shim := range want {
		b, err := os.ReadFile(filepath.Join("testdata/proc-docker", pid, "stat"))
		if err != nil {
			t.Fatal(err)
		}
		st, err := host.ParseStat(string(b))
		if err != nil {
			t.Fatal(err)
		}
		if isShim(st.Comm) != shim {
			t.Errorf("pid %s (%s): isShim = %v, want %v", pid, st.Comm, !shim, shim)
		}
	}
}

func TestParseImportStreamReturnsTheImageID(t *testing.T) {
	f, err := os.Open("testdata/import-ok.jsonl") // recorded from POST /images/create?fromSrc=-
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	id, err := parseImportStream(f)
	if err != nil {
		t.Fatal(err)
	}
	if want := "sha256:9c0e78d49fc8fa24008d41a0bbe576777872b3f01cf1ac77233c771ef904445a"; id != want {
		t.Errorf("id = %q, want %q", id, want)
	}
}

func TestParseImportStreamFailsOnAnErrorMessageOrNoID(t *testing.T) {
	// The shape of an error the Engine reports after progress has begun
	// (pkg/jsonmessage).
	_, err := parseImportStream(strings.NewReader(`{"status":"Importing"}` + "\n" +
		`{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}` + "\n"))
	if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("error message: got %v", err)
	}
	if _, err := parseImportStream(strings.NewReader("")); err == nil {
		t.Error("an empty answer was accepted")
	}
	if _, err := parseImportStream(strings.NewReader(`{"status":`)); err == nil {
		t.Error("a truncated answer was accepted")
	}
}

func TestProbeRootfsHoldsOnlyTheProbeAndMountPoints(t *testing.T) {
	probe := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(probe, []byte("\x7fELF fake"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := probeRootfs(probe)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(b))
	got := map[string]int64{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h.Mode
		if h.Name == "sandbox-probe" {
			body, _ := io.ReadAll(tr)
			if string(body) != "\x7fELF fake" {
				t.Errorf("probe content = %q", body)
			}
		}
	}
	want := map[string]int64{"proc/": 0o755, "dev/": 0o755, "sys/": 0o755, "etc/": 0o755, "sandbox-probe": 0o755}
	if len(got) != len(want) {
		t.Errorf("entries = %v, want %v", got, want)
	}
	for name, mode := range want {
		if got[name] != mode {
			t.Errorf("%s: mode %o, want %o (entries %v)", name, got[name], mode, got)
		}
	}
	if _, err := probeRootfs(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing probe binary was accepted")
	}
}

func TestResolveHostOrder(t *testing.T) {
	env := func(v string) func(string) string { return func(string) string { return v } }
	exists := func(paths ...string) func(string) bool {
		return func(p string) bool { return slices.Contains(paths, p) }
	}
	const private, system = "/run/agentic-eval/dockerd.sock", "/var/run/docker.sock"
	for _, tc := range []struct {
		name       string
		getenv     func(string) string
		exists     func(string) bool
		host, from string
	}{
		{"DOCKER_HOST wins", env("tcp://127.0.0.1:2375"), exists(private, system), "tcp://127.0.0.1:2375", "DOCKER_HOST"},
		{"then the private socket", env(""), exists(private, system), PrivateSocket, "private"},
		{"then the system socket", env(""), exists(system), SystemSocket, "system"},
		{"neither: the private one, to name it", env(""), exists(), PrivateSocket, "private"},
	} {
		host, from := resolveHost(tc.getenv, tc.exists)
		if host != tc.host || from != tc.from {
			t.Errorf("%s: got %s (%s), want %s (%s)", tc.name, host, from, tc.host, tc.from)
		}
	}
}

func TestSelectedMatchesNamePrefixOrRunLabel(t *testing.T) {
	run := func(r string) map[string]string { return map[string]string{RunLabel: r} }
	for _, tc := range []struct {
		prefix string
		labels map[string]string
		names  []string
		want   bool
	}{
		{"ae-abc-", nil, []string{"ae-abc-1"}, true},
		{"ae-abc-", nil, []string{"ae-abc-probe:latest"}, true},
		{"ae-abc-", nil, []string{"ae-abcd-1"}, false},
		{"ae-abc-", run("abc"), []string{"renamed"}, true},
		{"ae-abc-", run("abcd"), nil, false},
		{"ae-", run("abcd"), nil, true},
		{"ae-abc-1", run("abc"), []string{"ae-abc-2"}, false},
		{"ae-abc-", map[string]string{"other": "abc"}, []string{"mine"}, false},
	} {
		if got := selected(tc.prefix, tc.labels, tc.names); got != tc.want {
			t.Errorf("selected(%q, %v, %v) = %v, want %v", tc.prefix, tc.labels, tc.names, got, tc.want)
		}
	}
}

// netDevInterfaces lists the interfaces of a /proc/<pid>/net/dev file.
func netDevInterfaces(b []byte) []string {
	var out []string
	for i, line := range strings.Split(string(b), "\n") {
		name, _, ok := strings.Cut(line, ":")
		if i < 2 || !ok {
			continue
		}
		out = append(out, strings.TrimSpace(name))
	}
	return out
}

func TestNetDevInterfacesOnRecordedFiles(t *testing.T) {
	for file, want := range map[string][]string{
		"testdata/netdev-network-none.txt": {"lo"},
		"testdata/netdev-host.txt":         {"lo", "ifb0", "ifb1", "eth0", "docker0"},
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := netDevInterfaces(b); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", file, got, want)
		}
	}
}

func TestCRIULogPathFromARecordedDaemonError(t *testing.T) {
	b, err := os.ReadFile("testdata/checkpoint-criu-failed.txt") // the daemon's answer to a checkpoint here
	if err != nil {
		t.Fatal(err)
	}
	want := "/run/agentic-eval/docker-exec/containerd/daemon/io.containerd.runtime.v2.task/moby/49f4a64ff407aaa20c7ad87c8ebde19b986327fa063456994abb4e631c3441df/criu-dump.log"
	if got := criuLogPath(string(b)); got != want {
		t.Errorf("criuLogPath = %q, want %q", got, want)
	}
	if got := criuLogPath("criu failed: type DUMP errno 0\nlog file: /x/work/dump.log"); got != "/x/work/dump.log" {
		t.Errorf("runc's own form: %q", got)
	}
	if got := criuLogPath("checkpoint is only supported in experimental mode"); got != "" {
		t.Errorf("no path: %q", got)
	}
}

func TestSnapshotSituationIsHonest(t *testing.T) {
	failing := criuFacts{Path: "/usr/sbin/criu", Version: "3.17.1", CheckError: "Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds"}
	cases := []struct {
		name         string
		experimental bool
		source       string
		criu         criuFacts
		ok           bool
		says         []string
	}{
		{"private daemon not experimental", false, sourcePrivate, failing, false,
			[]string{"not offered", "experimental mode", "scripts/stop-dockerd.sh && scripts/start-dockerd.sh"}},
		{"other daemon not experimental", false, sourceEnv, failing, false,
			[]string{"not offered", "start dockerd with --experimental"}},
		{"no criu", true, sourcePrivate, criuFacts{}, false,
			[]string{"not offered", "criu is not on PATH"}},
		{"criu check fails", true, sourcePrivate, failing, true,
			[]string{"attempted: ", "experimental: on", "CRIU 3.17.1 at /usr/sbin/criu", "vDSO area bounds", "kernels 6.13+"}},
		{"criu check passes", true, sourcePrivate, criuFacts{Path: "/usr/sbin/criu", Version: "4.1"}, true,
			[]string{"attempted: ", "CRIU 4.1", "passes"}},
	}
	for _, c := range cases {
		ok, note := snapshotSituation(c.experimental, c.source, c.criu)
		if ok != c.ok {
			t.Errorf("%s: offered %v, want %v (%s)", c.name, ok, c.ok, note)
		}
		for _, w := range c.says {
			if !strings.Contains(note, w) {
				t.Errorf("%s: %q does not say %q", c.name, note, w)
			}
		}
	}
}

func TestCheckpointErrorCarriesCRIUsCauseAndTheDaemonsMessage(t *testing.T) {
	daemon := errors.New("Error response from daemon: Cannot checkpoint container ae-x-3: runc did not terminate successfully: exit status 1: criu failed: type DUMP errno 0 path= /run/x/criu-dump.log: unknown")
	e := &CheckpointError{ID: "ae-x-3", Cause: "(00.012127) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds", After: "the container is still running", Err: daemon}
	want := "checkpoint docker sandbox ae-x-3: criu failed: (00.012127) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds; daemon: " + daemon.Error() + "; the container is still running"
	if e.Error() != want {
		t.Errorf("error = %q\nwant    %q", e.Error(), want)
	}
	if !errors.Is(e, daemon) {
		t.Error("the daemon's error is not wrapped")
	}
	e.Cause, e.After = "", ""
	if e.Error() != "checkpoint docker sandbox ae-x-3: "+daemon.Error() {
		t.Errorf("without a cause: %q", e.Error())
	}
}
