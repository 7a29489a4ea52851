package measure

import (
	"slices"
	"testing"

	"github.com/agentic-eval/agentic-eval/results"
)

// The run performs the phases in the order the results document lists
// them, and every phase the vocabulary names has a run.
func TestEveryPhaseHasARunInTheDocumentsOrder(t *testing.T) {
	var got []results.Phase
	for _, ph := range phases {
		got = append(got, ph.name())
	}
	if !slices.Equal(got, results.AllPhases()) {
		t.Errorf("the runner's phases %v, the document's %v", got, results.AllPhases())
	}
}

func TestAPhaseIsWantedOnlyWhenNamedAndSized(t *testing.T) {
	s := results.DefaultSettings()
	s.Phases = []results.Phase{results.PhaseBurst, results.PhaseChurn}
	s.Burst, s.Churn = 8, 0
	for _, ph := range phases {
		want := ph.name() == results.PhaseBurst
		if ph.wanted(s) != want {
			t.Errorf("%s wanted = %v with phases %v, burst 8, churn 0", ph.name(), !want, s.Phases)
		}
	}
}
