package cli

import (
	"testing"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
)

func TestDensityCellSaysNotMeasuredWithoutASample(t *testing.T) {
	for _, c := range []struct {
		name string
		d    results.Density
		want string
	}{
		{"no sample succeeded", results.Density{Requested: 15, Started: 6}, "- (0/6 sampled)"},
		{"sampled", results.Density{Requested: 15, Started: 6, PerInstanceMiB: stats.Summary{N: 6, Median: 12.5}}, "12.50 (n=6/15)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := densityCell(&c.d); got != c.want {
				t.Errorf("densityCell = %q, want %q", got, c.want)
			}
		})
	}
}
