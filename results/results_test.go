package results

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
)

func TestResultsRoundTripThroughTheirFile(t *testing.T) {
	in := &Results{Schema: Schema, Tool: ToolInfo(), RunID: "abc", Settings: DefaultSettings(),
		Systems: []VariantResult{{
			System: vms.Docker, Variant: "docker/runc",
			Fingerprint:  driver.Fingerprint{Available: true, Version: "runc 1.1.5"},
			StartLatency: &Latency{SamplesNS: []int64{70e6, 72e6}, Summary: stats.Summarize(Durations([]int64{70e6, 72e6})), Warmups: 2},
			Operations:   []vms.Operation{vms.OpCreate, vms.OpDestroy},
			Failures:     []Failure{{Phase: "snapshot", Cause: "criu failed"}},
		}}}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := in.Write(path); err != nil {
		t.Fatal(err)
	}
	out, err := ReadResultsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in.Systems, out.Systems) || out.RunID != "abc" || out.Settings.OpTimeout != in.Settings.OpTimeout {
		t.Errorf("round trip changed the document:\n in %+v\nout %+v", in.Systems, out.Systems)
	}
	if v := out.Variant("DOCKER/RUNC"); v == nil || v.System != vms.Docker {
		t.Errorf("Variant lookup: %+v", v)
	}
}

func TestReadResultsRefusesOtherSchemas(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"other.json":   `{"schema":"agentic-eval/results/v0"}`,
		"none.json":    `{"run_id":"x"}`,
		"garbage.json": `not json`,
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		_, err := ReadResultsFile(p)
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: got %v, want an error naming the file", name, err)
		}
	}
}
