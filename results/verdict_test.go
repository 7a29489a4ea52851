package results

import (
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
				{Phase: "density", Cause: "start ae-x-000004: Cannot connect to the Docker daemon at unix:///run/agentic-eval/dockerd.sock. Is the docker daemon running?", Class: ClassEnvironment},
				{Phase: "snapshot", Cause: "criu failed", Class: ClassRuntime}}}}, "daemon of docker became unreachable"},
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
