package rubric

import (
	"testing"

	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/vms"
)

func TestIntervalsRestOnSamplesOnly(t *testing.T) {
	res, err := measure.ReadResultsFile("../docs/host-run.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, vr := range res.Systems {
		if !vr.Fingerprint.Available {
			continue
		}
		t.Run(vr.Variant, func(t *testing.T) {
			s, reps := ScoreWithIntervals(vr, Options{})
			again, _ := ScoreWithIntervals(vr, Options{})
			if len(reps) != Replicates {
				t.Fatalf("%d replicates", len(reps))
			}
			for i, a := range s.Axes {
				hasCI := a.Lo != nil && a.Hi != nil
				switch {
				case a.Axis == vms.Isolation || a.Axis == vms.AgentControl:
					if hasCI {
						t.Errorf("%s has an interval; it is scored from facts", a.Axis.Name())
					}
				case a.Axis == vms.Snapshotting && !restsOnSamples(vr, a.Axis):
					if hasCI {
						t.Errorf("snapshot scored from a failure has an interval")
					}
				case a.Provenance == Measured:
					if !hasCI {
						t.Fatalf("%s measured without an interval", a.Axis.Name())
					}
					if *a.Lo > a.Score || a.Score > *a.Hi {
						t.Errorf("%s score %.3f outside its interval [%.3f, %.3f]", a.Axis.Name(), a.Score, *a.Lo, *a.Hi)
					}
					b := again.Axes[i]
					if *b.Lo != *a.Lo || *b.Hi != *a.Hi {
						t.Errorf("%s interval not reproducible: [%v, %v] then [%v, %v]", a.Axis.Name(), *a.Lo, *a.Hi, *b.Lo, *b.Hi)
					}
				}
			}
		})
	}
}
