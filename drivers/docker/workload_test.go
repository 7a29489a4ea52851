package docker

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/workload"
)

// TestWorkloadPhaseTimesTheArchiveAPIBesideTheProbe runs the harness's
// workload phase (files only) on the real daemon: every size has a probe
// row and a runtime row each way, the runtime's rows verified by hash and
// crossed with the probe, and the path each went to said with its reason.
func TestWorkloadPhaseTimesTheArchiveAPIBesideTheProbe(t *testing.T) {
	d := engine(t)
	img := sandboxImage(t)
	s := results.DefaultSettings()
	s.Phases = []results.Phase{results.PhaseWorkload}
	s.Forks = 1
	s.Workload = results.WorkloadSettings{Samples: 1, FileSizes: []int64{4 << 10, 1 << 20}, FileReps: 2}
	r := measure.NewRunner(s, drivertest.Probe(t))
	r.Dir, r.Image = t.TempDir(), img
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := r.Run(ctx, []driver.Driver{d})
	if err != nil {
		t.Fatal(err)
	}
	assertNothingOfRun(t, d, r.RunID())
	w := res.Systems[0].Workloads
	if w == nil || w.Cause != "" {
		t.Fatalf("workloads not measured: %+v", w)
	}
	type key struct {
		path, dir string
		bytes     int64
	}
	rows := map[key]results.FileTransfer{}
	for _, f := range w.Files {
		rows[key{f.ExecPath, f.Direction, f.Bytes}] = f
	}
	if len(rows) != 8 || len(w.Files) != 8 {
		t.Fatalf("%d rows (%d distinct), want probe and runtime, put and get, of 2 sizes: %+v", len(w.Files), len(rows), w.Files)
	}
	for _, size := range s.Workload.FileSizes {
		for _, dir := range []string{"put", "get"} {
			pr, rt := rows[key{results.ExecPathProbe, dir, size}], rows[key{results.ExecPathRuntime, dir, size}]
			if pr.Verified != 2 || pr.Path != workload.WorkDir+"/ae-file-"+itoa(size) {
				t.Errorf("probe %s of %d: %+v", dir, size, pr)
			}
			if rt.Verified != 2 || rt.CrossVerified != 2 || rt.Failed != 0 || rt.Cap != "" || rt.Summary.N != 2 || rt.MBps <= 0 {
				t.Errorf("runtime %s of %d: verified %d, crossed %d, failed %d, cap %q, n %d, %.1f MB/s", dir, size, rt.Verified, rt.CrossVerified, rt.Failed, rt.Cap, rt.Summary.N, rt.MBps)
			}
			// Whichever path the check chose, a file outside the work
			// dir says why.
			if inWork := strings.HasPrefix(rt.Path, workload.WorkDir+"/"); inWork != (rt.PathWhy == "") {
				t.Errorf("runtime %s of %d went to %s with the reason %q", dir, size, rt.Path, rt.PathWhy)
			}
			t.Logf("runtime %s %d B: %s, %.1f MB/s (probe %.1f MB/s); %s", dir, size, rt.Path, rt.MBps, pr.MBps, rt.PathWhy)
		}
	}
	for _, f := range res.Systems[0].Failures {
		if f.Phase == string(results.PhaseWorkload) && !strings.Contains(f.Cause, "checkpoint") && !strings.Contains(f.Cause, "snapshot") {
			t.Errorf("workload failure: %s", f.Cause)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
