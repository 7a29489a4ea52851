package evaluate

import (
	"errors"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/rubric"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
)

func TestRecommendWithoutResultsIsTheCatalogsTopAndSaysItIsCurated(t *testing.T) {
	for _, p := range vms.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			ev := Evaluate(nil, p.Weights, Options{})
			rec, err := Recommend(ev, RecommendOptions{Weighting: "preset " + p.Name})
			if err != nil {
				t.Fatal(err)
			}
			// Nothing measured: the top of the curated scores, with the
			// makers' published figures where the catalog cites them.
			if top := ev.Rows[0].System; rec.System != top || rec.Measured {
				t.Errorf("recommended %s (measured %v), want %s", rec.System, rec.Measured, top)
			}
			if !strings.Contains(strings.Join(rec.Caveats, "\n"), "nothing was measured") {
				t.Errorf("caveats %q must say the answer is curated", rec.Caveats)
			}
			if !strings.Contains(strings.Join(rec.Reasons, "\n"), "ranks first of 7 under preset "+p.Name) {
				t.Errorf("reasons %q do not name the weighting", rec.Reasons)
			}
			// The catalog's leader has no public release: that comes first.
			if av := vms.AvailabilityOf(rec.System); !av.Obtainable && (len(rec.Reasons) == 0 || !strings.HasPrefix(rec.Reasons[0], rec.System.Name()+" cannot be had") || !strings.HasPrefix(rec.Caveats[0], rec.System.Name()+" cannot be had")) {
				t.Errorf("%s cannot be had, but the first reason is %q and the first caveat %q", rec.System, rec.Reasons[0], rec.Caveats[0])
			}
			if len(rec.Ranking) != len(vms.All()) || len(rec.Axes) != vms.NumAxes {
				t.Errorf("%d contenders, %d axes", len(rec.Ranking), len(rec.Axes))
			}
		})
	}
}

func TestRecommendRequireMeasuredPicksAMeasuredSystemAndNamesTheOthers(t *testing.T) {
	res := constructed()
	res.Systems[1].Fingerprint.Warnings = []string{"engine runs rootless"}
	// Every weighted axis of docker measured here: density and a failed
	// snapshot too.
	res.Systems[1].Density = &results.Density{Started: 5, PerInstanceMiB: stats.Summary{N: 5, Median: 0.6}}
	res.Systems[1].Snapshot = &results.SnapshotResult{Supported: true, Cause: "criu failed", CauseClass: results.ClassRuntime}
	rec, err := Recommend(Evaluate(res, vms.Balanced(), preferred), RecommendOptions{RequireMeasured: true})
	if err != nil {
		t.Fatal(err)
	}
	if rec.System != vms.Docker || !rec.Measured || len(rec.Ranking) != 1 {
		t.Fatalf("recommended %s (measured %v), ranking %+v", rec.System, rec.Measured, rec.Ranking)
	}
	if a := rec.Axes[vms.StartLatency]; a.Provenance != rubric.Measured || a.Variant != "docker" || a.MeasuredBasis == "" {
		t.Errorf("start-latency %+v, want measured through docker with its basis", a)
	}
	for _, want := range []string{"docker: engine runs rootless", "left out as not measured: ", "firecracker: binary not found"} {
		if !strings.Contains(strings.Join(rec.Caveats, "\n"), want) {
			t.Errorf("caveats %q lack %q", rec.Caveats, want)
		}
	}
}

func TestRecommendRequireMeasuredWithNothingMeasuredIsErrNothingMeasured(t *testing.T) {
	for _, c := range []struct {
		name string
		ev   Evaluation
		says string
	}{
		{"no results", Evaluate(nil, vms.Balanced(), Options{}), "no results were evaluated"},
		{"a run without a measured system", Evaluate(unmeasured(), vms.Balanced(), preferred), "docker: docker.sock not found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Recommend(c.ev, RecommendOptions{RequireMeasured: true})
			if !errors.Is(err, ErrNothingMeasured) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %v, want ErrNothingMeasured saying %q", err, c.says)
			}
		})
	}
}

// unmeasured is constructed with no variant available.
func unmeasured() *results.Results {
	res := constructed()
	for i := range res.Systems {
		if res.Systems[i].Fingerprint.Available {
			res.Systems[i].Fingerprint = driver.Fingerprint{Reason: "docker.sock not found"}
		}
	}
	return res
}
