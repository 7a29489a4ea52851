package cli

import (
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
)

func TestPhasesTableShowsEachStageWithItsStep(t *testing.T) {
	stage := func(name string, ms float64) results.StageSamples {
		return results.StageSamples{Name: name, Summary: stats.Summary{N: 6, Unit: "ms", Median: ms, Lo: ms - 1, Hi: ms + 1}}
	}
	res := &results.Results{Systems: []results.VariantResult{
		{Variant: "docker/runc", StartLatency: &results.Latency{}},
		{Variant: "k8s/runc", StartLatency: &results.Latency{Phases: []results.StageSamples{
			stage("accepted", 9), stage("scheduled", 17), stage("sandbox", 987), stage("probe", 996),
		}}},
	}}
	tb := phasesTable(res)
	if tb == nil {
		t.Fatal("no table for a run whose k8s variant reports stages")
	}
	var b strings.Builder
	if err := tb.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"scheduled", "+8.00 ms", "+970 ms", "PodReadyToStartContainers"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "docker/runc") {
		t.Errorf("a variant without stages has rows:\n%s", out)
	}
	if phasesTable(&results.Results{Systems: []results.VariantResult{{Variant: "docker/runc"}}}) != nil {
		t.Error("a table for a run without stages")
	}
}
