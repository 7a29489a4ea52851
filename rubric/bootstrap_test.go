package rubric

import (
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/vms"
)

func TestIntervalsRestOnSamplesOnly(t *testing.T) {
	res, err := results.ReadResultsFile("../testdata/runs/host-run.json")
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

func TestPublishedFiguresGoThroughTheSameCurves(t *testing.T) {
	cases := []struct {
		sys  vms.System
		axis vms.Axis
		want float64
	}{
		{vms.Firecracker, vms.StartLatency, LatencyScore(125)},
		{vms.Firecracker, vms.Density, DensityScore(5)},
		{vms.Kata, vms.StartLatency, LatencyScore(710)},
		{vms.Kata, vms.Density, DensityScore(122832.40 / 1024)},
	}
	for _, c := range cases {
		found := false
		// rubric/2 scores every figure as a point, bounds included.
		for _, a := range PublishedScoresWith(c.sys, Options{Version: "rubric/2"}) {
			if a.Axis != c.axis {
				continue
			}
			found = true
			if a.Score != c.want || a.Provenance != Published || !strings.Contains(a.Basis, "published: ") || a.Lo != nil || a.Bound {
				t.Errorf("%s %s: %+v; want %.3f, published, cited, no interval", c.sys.Name(), c.axis.Name(), a, c.want)
			}
		}
		if !found {
			t.Errorf("%s %s: no published score", c.sys.Name(), c.axis.Name())
		}
	}
	if got := PublishedScores(vms.AetherVM); len(got) != 0 {
		t.Errorf("aethervm has published scores: %+v", got)
	}
}
