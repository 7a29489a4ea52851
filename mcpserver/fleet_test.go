package mcpserver

import (
	"testing"

	"github.com/agentic-eval/agentic-eval/results"
)

// The fleet phases of recorded runs reach the tools' answers.
func TestFleetFiguresOfRecordedRuns(t *testing.T) {
	sweeps, err := results.ReadResultsFile("../testdata/runs/sweep-run.json")
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := results.ReadResultsFile("../cli/testdata/fleet-run.json")
	if err != nil {
		t.Fatal(err)
	}
	var burst, arrivals, capacity, churn bool
	for _, res := range []*results.Results{sweeps, fleet} {
		for _, v := range res.Systems {
			f := fleetFigures(v)
			if f == nil {
				continue
			}
			if b := f.Burst; b != nil && len(b.Levels) > 0 && b.Levels[0].K == 1 && b.Levels[0].SpawnsPerSecond > 0 {
				burst = true
			}
			if a := f.Arrivals; a != nil && len(a.Rates) > 0 && a.BoundMS > 0 {
				arrivals = true
			}
			if c := f.Capacity; c != nil && c.Held > 0 && c.AccountingMiB > 0 {
				capacity = true
			}
			if c := f.Churn; c != nil && c.Cycles > 0 && len(c.Drift) > 0 && c.Result.N == c.Cycles {
				churn = true
			}
		}
	}
	if !burst || !arrivals || !capacity || !churn {
		t.Errorf("burst %v, arrivals %v, capacity %v, churn %v: every fleet phase of the recorded runs must show", burst, arrivals, capacity, churn)
	}
}
