package app

import (
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/results"
)

func TestASettingForAPhaseNotRunIsSaid(t *testing.T) {
	s := results.DefaultSettings()
	s.Phases = []results.Phase{results.PhaseStartLatency}
	for _, c := range []struct {
		given []string
		want  []string
	}{
		{[]string{"workloads"}, []string{"workloads has no effect: it acts on the workload phase"}},
		{[]string{"samples", "warmups"}, nil},
		{[]string{"burst", "churn-time", "out"}, []string{"burst has no effect", "churn-time has no effect"}},
		{[]string{"sweep-until"}, []string{"the burst or arrivals phase"}},
	} {
		got := NoEffect(s, c.given)
		if len(got) != len(c.want) {
			t.Errorf("NoEffect(%v) = %q, want %d lines", c.given, got, len(c.want))
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(got[i], w) || !strings.Contains(got[i], "phases: start-latency") {
				t.Errorf("NoEffect(%v)[%d] = %q, want it to say %q and the phases run", c.given, i, got[i], w)
			}
		}
	}
}
