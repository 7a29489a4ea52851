package measure

import (
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/results"
)

func TestNeverStartsOnlyAfterRuntimeFailuresWithNoSandbox(t *testing.T) {
	fail := func(phase results.Phase, sandbox, cause string, c results.Class) results.Failure {
		return results.Failure{Phase: string(phase), Sandbox: sandbox, Cause: cause, Class: c}
	}
	shim := "start pod x: FailedCreatePodSandBox (the kubelet tried 2 times): failed to set OOM Score on shim"
	cases := []struct {
		name string
		vr   results.VariantResult
		want bool
	}{
		{"three runtime failures, no start", results.VariantResult{Failures: []results.Failure{
			fail(results.PhaseStartLatency, "ae-x-000001", shim, results.ClassRuntime), fail(results.PhaseStartLatency, "ae-x-000002", shim, results.ClassRuntime),
			fail(results.PhaseStartLatency, "ae-x-000003", shim, results.ClassRuntime), fail(results.PhaseStartLatency, "", "gave up after 3 consecutive failures", results.ClassRuntime),
		}}, true},
		{"a sandbox started", results.VariantResult{StartLatency: &results.Latency{SamplesNS: []int64{1}}, Failures: []results.Failure{
			fail(results.PhaseStartLatency, "ae-x-000001", shim, results.ClassRuntime), fail(results.PhaseStartLatency, "ae-x-000002", shim, results.ClassRuntime),
			fail(results.PhaseStartLatency, "ae-x-000003", shim, results.ClassRuntime),
		}}, false},
		{"an environment failure among them", results.VariantResult{Failures: []results.Failure{
			fail(results.PhaseStartLatency, "ae-x-000001", shim, results.ClassRuntime), fail(results.PhaseStartLatency, "ae-x-000002", "no space left on device", results.ClassEnvironment),
			fail(results.PhaseStartLatency, "ae-x-000003", shim, results.ClassRuntime),
		}}, false},
		{"two failures", results.VariantResult{Failures: []results.Failure{
			fail(results.PhaseStartLatency, "ae-x-000001", shim, results.ClassRuntime), fail(results.PhaseStartLatency, "ae-x-000002", shim, results.ClassRuntime),
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
