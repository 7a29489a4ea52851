package cli

import (
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/measure"
)

func TestPhasesTableShowsEachStageWithItsStep(t *testing.T) {
	stage := func(name string, ms float64) measure.PhaseSamples {
		return measure.PhaseSamples{Name: name, Summary: measure.Summary{N: 6, Unit: "ms", Median: ms, Lo: ms - 1, Hi: ms + 1}}
	}
	res := &measure.Results{Systems: []measure.VariantResult{
		{Variant: "docker/runc", StartLatency: &measure.Latency{}},
		{Variant: "k8s/runc", StartLatency: &measure.Latency{Phases: []measure.PhaseSamples{
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
	for _, want := range []string{"scheduled", "+8.0 ms", "+970 ms", "PodReadyToStartContainers"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "docker/runc") {
		t.Errorf("a variant without stages has rows:\n%s", out)
	}
	if phasesTable(&measure.Results{Systems: []measure.VariantResult{{Variant: "docker/runc"}}}) != nil {
		t.Error("a table for a run without stages")
	}
}
