package measure

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

func TestNeverStartsOnlyAfterRuntimeFailuresWithNoSandbox(t *testing.T) {
	fail := func(phase Phase, sandbox, cause string, c Class) Failure {
		return Failure{Phase: string(phase), Sandbox: sandbox, Cause: cause, Class: c}
	}
	shim := "start pod x: FailedCreatePodSandBox (the kubelet tried 2 times): failed to set OOM Score on shim"
	cases := []struct {
		name string
		vr   VariantResult
		want bool
	}{
		{"three runtime failures, no start", VariantResult{Failures: []Failure{
			fail(PhaseStartLatency, "ae-x-000001", shim, ClassRuntime), fail(PhaseStartLatency, "ae-x-000002", shim, ClassRuntime),
			fail(PhaseStartLatency, "ae-x-000003", shim, ClassRuntime), fail(PhaseStartLatency, "", "gave up after 3 consecutive failures", ClassRuntime),
		}}, true},
		{"a sandbox started", VariantResult{StartLatency: &Latency{SamplesNS: []int64{1}}, Failures: []Failure{
			fail(PhaseStartLatency, "ae-x-000001", shim, ClassRuntime), fail(PhaseStartLatency, "ae-x-000002", shim, ClassRuntime),
			fail(PhaseStartLatency, "ae-x-000003", shim, ClassRuntime),
		}}, false},
		{"an environment failure among them", VariantResult{Failures: []Failure{
			fail(PhaseStartLatency, "ae-x-000001", shim, ClassRuntime), fail(PhaseStartLatency, "ae-x-000002", "no space left on device", ClassEnvironment),
			fail(PhaseStartLatency, "ae-x-000003", shim, ClassRuntime),
		}}, false},
		{"two failures", VariantResult{Failures: []Failure{
			fail(PhaseStartLatency, "ae-x-000001", shim, ClassRuntime), fail(PhaseStartLatency, "ae-x-000002", shim, ClassRuntime),
		}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := neverStarts(&c.vr)
			if (got != "") != c.want {
				t.Fatalf("neverStarts = %q, want a reason: %v", got, c.want)
			}
			if c.want && !strings.Contains(got, "OOM Score") {
				t.Errorf("the reason does not carry the first failure's cause: %q", got)
			}
		})
	}
}
