package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/driver"
)

func TestEnvironmentFailure(t *testing.T) {
	avail := driver.Fingerprint{Available: true}
	tests := []struct {
		name    string
		systems []VariantResult
		want    string // substring; "" = no environment failure
	}{
		{"runtime failures only are a result", []VariantResult{{Variant: "docker/runc", Fingerprint: avail,
			Failures: []Failure{{Phase: "snapshot", Cause: "criu failed", Class: ClassRuntime}}}}, ""},
		{"v1 failures without class are a result", []VariantResult{{Variant: "docker/runc", Fingerprint: avail,
			Failures: []Failure{{Phase: "snapshot", Cause: "criu failed"}}}}, ""},
		{"daemon vanished", []VariantResult{
			{Variant: "docker/runc", Fingerprint: avail},
			{Variant: "docker", Fingerprint: avail, Failures: []Failure{
				{Phase: "density", Cause: "start ae-x-000004: Cannot connect to the Docker daemon at unix:///run/agentic-eval/dockerd.sock. Is the docker daemon running?", Class: ClassEnvironment, Unreachable: true},
				{Phase: "snapshot", Cause: "criu failed", Class: ClassRuntime}}}}, "daemon of docker became unreachable"},
		{"daemon vanished, seen at teardown only", []VariantResult{
			{Variant: "docker", Fingerprint: avail, Failures: []Failure{
				{Phase: "teardown", Cause: "destroy docker sandbox ae-x-000004: remove container: the daemon is gone", Class: ClassEnvironment, Unreachable: true}}}}, "daemon of docker became unreachable"},
		{"the field decides, not the cause's text", []VariantResult{
			{Variant: "docker", Fingerprint: avail, Failures: []Failure{
				{Phase: "density", Cause: "a reworded message: the engine went away", Class: ClassEnvironment, Unreachable: true}}}}, "daemon of docker became unreachable"},
		{"a cause that says so without the field is no vanished daemon", []VariantResult{
			{Variant: "docker", Fingerprint: avail, Failures: []Failure{
				{Phase: "density", Cause: "Cannot connect to the Docker daemon. Is the docker daemon running?", Class: ClassRuntime},
				{Phase: "teardown", Cause: "connection refused", Class: ClassRuntime}}}}, ""},
		{"every variant failed for the environment", []VariantResult{
			{Variant: "docker/runc", Fingerprint: avail, Failures: []Failure{{Phase: "start-latency", Cause: "mkdir: no space left on device", Class: ClassEnvironment}}},
			{Variant: "docker/crun", Fingerprint: avail, Failures: []Failure{{Phase: "density", Cause: "write: no space left on device", Class: ClassEnvironment}, {Phase: "snapshot", Cause: "timed out", Class: ClassTimeout}}},
			{Variant: "kata"}}, "every variant failed for the environment"},
		{"one variant still measured the runtime", []VariantResult{
			{Variant: "docker/runc", Fingerprint: avail, Failures: []Failure{{Phase: "start-latency", Cause: "no space left on device", Class: ClassEnvironment}}},
			{Variant: "docker/crun", Fingerprint: avail}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := (&Results{Systems: tt.systems}).EnvironmentFailure()
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("EnvironmentFailure() = %q, want %q", got, tt.want)
			}
			if strings.Contains(got, "\n") {
				t.Errorf("not one line: %q", got)
			}
		})
	}
}

// Documents written before Failure.Unreachable existed read as they did:
// their environment failures (and teardown failures, whatever their
// class) whose cause names an unreachable daemon get the field, whether
// the document is read alone or within a fleet set.
func TestOldDocumentsReadWithUnreachableSet(t *testing.T) {
	const old = `{"schema": "agentic-eval/results/v1", "run_id": "0a1b2c3d", "systems": [
	  {"variant": "docker", "fingerprint": {"available": true}, "failures": [
	    {"phase": "density", "sandbox": "ae-0a1b2c3d-000004", "cause": "start ae-0a1b2c3d-000004: Cannot connect to the Docker daemon at unix:///run/agentic-eval/dockerd.sock. Is the docker daemon running?", "class": "environment"},
	    {"phase": "burst", "cause": "dial unix /run/agentic-eval/dockerd.sock: connect: connection refused", "class": "environment"},
	    {"phase": "teardown", "sandbox": "ae-0a1b2c3d-000004", "cause": "is the docker daemon running?"},
	    {"phase": "snapshot", "cause": "write /tmp/x: no space left on device", "class": "environment"},
	    {"phase": "snapshot", "cause": "criu failed: connection refused by the kernel", "class": "runtime"},
	    {"phase": "start-latency", "cause": "a reworded cause", "class": "environment", "unreachable": true}
	  ]}]}`
	want := []bool{true, true, true, false, false, true}
	check := func(t *testing.T, r *Results) {
		t.Helper()
		fs := r.Systems[0].Failures
		for i, w := range want {
			if fs[i].Unreachable != w {
				t.Errorf("failure %d (%s, %q): Unreachable = %v, want %v", i, fs[i].Class, fs[i].Cause, fs[i].Unreachable, w)
			}
		}
		if got := r.EnvironmentFailure(); !strings.Contains(got, "daemon of docker became unreachable") {
			t.Errorf("EnvironmentFailure() = %q, want the daemon vanished", got)
		}
	}
	t.Run("results document", func(t *testing.T) {
		r, err := ReadResults(strings.NewReader(old))
		if err != nil {
			t.Fatal(err)
		}
		check(t, r)
	})
	t.Run("in a fleet set", func(t *testing.T) {
		set := `{"schema": "agentic-eval/fleet/v1", "run_id": "f1", "nodes": [{"node": "n1", "measured": true, "results": ` + old + `}]}`
		var fs FleetSet
		if err := Decode(strings.NewReader(set), &fs, Options{Schemas: []string{FleetSchema}}); err != nil {
			t.Fatal(err)
		}
		check(t, fs.Nodes[0].Results)
	})
}

// A document of revision 2 says Unreachable itself: a cause that names a
// refused connection is not read as an unreachable daemon when its error
// was not one.
func TestARevisionTwoDocumentIsNotMigrated(t *testing.T) {
	doc := `{"schema": "agentic-eval/results/v1", "revision": 2, "run_id": "0a1b2c3d", "systems": [
	  {"variant": "docker", "fingerprint": {"available": true}, "failures": [
	    {"phase": "burst", "cause": "probe said: connection refused", "class": "environment"}
	  ]}]}`
	r, err := ReadResults(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if r.Systems[0].Failures[0].Unreachable {
		t.Error("a revision-2 failure without the field was migrated from its text")
	}
}

// A document with the field round-trips as written.
func TestUnreachableIsWrittenAndRead(t *testing.T) {
	r := &Results{Schema: Schema, Systems: []VariantResult{{Variant: "docker", Failures: []Failure{
		{Phase: "density", Cause: "the engine went away", Class: ClassEnvironment, Unreachable: true},
		{Phase: "density", Cause: "criu failed", Class: ClassRuntime}}}}}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := r.Write(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), `"unreachable": true`); n != 1 {
		t.Errorf("the document holds %d unreachable fields, want 1 (absent when false):\n%s", n, b)
	}
	got, err := ReadResultsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fs := got.Systems[0].Failures; !fs[0].Unreachable || fs[1].Unreachable {
		t.Errorf("read back %+v", fs)
	}
}
