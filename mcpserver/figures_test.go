package mcpserver_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentic-eval/agentic-eval/mcpserver"
)

// recorded is a real run of docker and docker/runc with the workload phase
// (testdata/README.md says how it was made).
const recorded = "testdata/workload-run.json"

func connectRecorded(t *testing.T) *mcp.ClientSession {
	t.Helper()
	return connectWith(t, mcpserver.Options{Version: "test", ResultsDirs: []string{filepath.Dir(recorded)}})
}

// TestEvaluateShowsTheWorkloadFiguresBesideTheProbesStartLatency reads a
// recorded run through the real server: every measured variant's figures
// come with their exec paths, in the structured output and its text.
func TestEvaluateShowsTheWorkloadFiguresBesideTheProbesStartLatency(t *testing.T) {
	cs := connectRecorded(t)
	out := call[mcpserver.EvaluateOutput](t, cs, "evaluate", map[string]any{"results_path": recorded})
	if len(out.Figures) != 2 || out.Figures[0].Variant != "docker" || out.Figures[1].Variant != "docker/runc" {
		t.Fatalf("figures of %d variants: %+v", len(out.Figures), out.Figures)
	}
	for _, f := range out.Figures {
		t.Run(strings.ReplaceAll(f.Variant, "/", "-"), func(t *testing.T) {
			if s := f.StartLatency; s == nil || s.ExecPath != "probe" || s.N != 20 || s.MedianMS <= 0 || s.CILoMS > s.MedianMS || s.CIHiMS < s.MedianMS {
				t.Errorf("start latency %+v", s)
			}
			w := f.Workloads
			if w == nil || w.NotMeasured != "" || w.ImageKey == "" {
				t.Fatalf("workloads %+v", w)
			}
			if len(w.TimeToInteract) != 4 {
				t.Errorf("%d time-to-interactive rows, want python-hello, python-numpy, small-files, cpu", len(w.TimeToInteract))
			}
			for _, tti := range w.TimeToInteract {
				if tti.ExecPath != "probe" || tti.FirstResult.N != 5 || tti.FirstResult.MedianMS < tti.Ready.MedianMS || tti.FirstPenalty <= 0 {
					t.Errorf("time to interactive %+v", tti)
				}
			}
			paths := map[string]int{}
			for _, e := range w.WarmExec {
				paths[e.ExecPath]++
				if e.Runs.N != 5 || e.Runs.MedianMS <= 0 {
					t.Errorf("warm exec %+v", e)
				}
			}
			if paths["probe"] != 4 || paths["runtime"] != 4 {
				t.Errorf("warm exec per path %v, want 4 workloads through the probe and the runtime's exec", paths)
			}
			if len(w.Files) != 12 {
				t.Fatalf("%d file rows, want 3 sizes, put and get, probe and runtime", len(w.Files))
			}
			for _, ff := range w.Files {
				switch {
				case ff.ExecPath == "probe":
					if ff.Verified != 3 || ff.Latency == nil || ff.MBps <= 0 || !strings.HasPrefix(ff.Path, "/work/") {
						t.Errorf("probe file %+v", ff)
					}
				case f.Variant == "docker":
					if ff.Verified != 3 || ff.CrossVerified != 3 || ff.Latency == nil || ff.MBps <= 0 ||
						!strings.HasPrefix(ff.Path, "/var/tmp/") || !strings.Contains(ff.PathWhy, "/work is out of the runtime's copy path") {
						t.Errorf("archive API file %+v", ff)
					}
				default:
					if ff.Cap == "" || !strings.Contains(ff.Cap, "no copy path of its own") || ff.Latency != nil || ff.Verified != 0 {
						t.Errorf("runc's runtime file row does not say it has no copy path: %+v", ff)
					}
				}
			}
			if p := w.PrimedFork; p == nil || !strings.Contains(p.NotMeasured, "criu") {
				t.Errorf("primed fork %+v: the recorded CRIU failure is missing", p)
			}
		})
	}
	raw := callRaw(t, cs, "evaluate", map[string]any{"results_path": recorded})
	for _, want := range []string{`"exec_path":"runtime"`, `"path":"/var/tmp/ae-rt-file-67108864"`, `"first_result":`, `"start_latency":`, `no copy path of its own`} {
		if !strings.Contains(text(raw), want) {
			t.Errorf("the text content has no %s", want)
		}
	}
}

// TestRecommendShowsTheRecommendedSystemsFigures: recommend carries the
// figures of the recommended system's measured variants only.
func TestRecommendShowsTheRecommendedSystemsFigures(t *testing.T) {
	cs := connectRecorded(t)
	out := call[mcpserver.RecommendOutput](t, cs, "recommend", map[string]any{"workload": "dense-fleet", "results_path": recorded})
	if out.System != "docker" {
		t.Fatalf("recommended %s: only docker ran on the recorded run's host", out.System)
	}
	if len(out.Figures) != 2 {
		t.Fatalf("%d variants' figures, want docker and docker/runc", len(out.Figures))
	}
	for _, f := range out.Figures {
		if f.Workloads == nil || len(f.Workloads.Files) == 0 || f.StartLatency == nil {
			t.Errorf("%s: figures %+v", f.Variant, f)
		}
	}
	// Without results there is nothing measured to show.
	curated := call[mcpserver.RecommendOutput](t, cs, "recommend", map[string]any{"workload": "dense-fleet"})
	if len(curated.Figures) != 0 {
		t.Errorf("a curated-only recommendation shows figures: %+v", curated.Figures)
	}
}
