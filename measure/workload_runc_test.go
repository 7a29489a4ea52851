package measure_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/drivers/ociruntime"
	"github.com/agentic-eval/agentic-eval/drivers/runc"
	"github.com/agentic-eval/agentic-eval/image"
	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/workload"
)

// countingStarts is the real runc driver, counting the sandboxes it is
// asked to start.
type countingStarts struct {
	*ociruntime.Driver
	starts atomic.Int64
}

func (c *countingStarts) Start(ctx context.Context, spec driver.Spec) (driver.Sandbox, error) {
	c.starts.Add(1)
	return c.Driver.Start(ctx, spec)
}

// TestTheLastFreshSandboxServesTheWarmRuns pins that the workload phase
// boots no sandbox for its warm runs and files: the last of the fresh
// sandboxes timed to interactive becomes the warm one, and is destroyed
// with the phase.
func TestTheLastFreshSandboxServesTheWarmRuns(t *testing.T) {
	img, err := image.Find(image.CacheDir())
	if err != nil {
		t.Skipf("no sandbox image: %v", err)
	}
	d := &countingStarts{Driver: runc.New()}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if fp := d.Fingerprint(ctx); !fp.Available {
		t.Skipf("runc unavailable here: %s (fix: %s)", fp.Reason, fp.Fix)
	}
	s := results.DefaultSettings()
	s.Phases = []results.Phase{results.PhaseWorkload}
	s.MinSamples = 6
	s.Workload.Names = []string{workload.PythonHello}
	s.Workload.Samples, s.Workload.WarmRuns = 6, 6 // the floor is the ceiling: 6 fresh sandboxes exactly
	s.Workload.FileSizes, s.Workload.FileReps = []int64{4096}, 1
	r := measure.NewRunner(s, drivertest.Probe(t))
	r.Image = driver.Image{Key: img.Key, Rootfs: img.Rootfs, Tar: img.Tar, TarBytes: img.TarBytes, RootfsBytes: img.RootfsBytes}
	r.Dir = t.TempDir()
	res, err := r.Run(ctx, []driver.Driver{d})
	if err != nil {
		t.Fatal(err)
	}
	drivertest.AssertNoLeftovers(t, d, r.Prefix())
	w := res.Systems[0].Workloads
	if w == nil || len(w.TTI) != 1 || len(w.TTI[0].FirstNS) != 6 {
		t.Fatalf("time to interactive: %+v", w)
	}
	var warm int
	for _, we := range w.Warm {
		warm += len(we.SamplesNS)
	}
	if warm == 0 || len(w.Files) == 0 {
		t.Fatalf("no warm runs (%d) or files (%d) measured", warm, len(w.Files))
	}
	// The primed fork takes the warm sandbox too; runc's snapshot may fail
	// here (CRIU), which starts nothing more.
	if got := d.starts.Load(); got != 6 {
		t.Errorf("%d sandboxes started for 6 fresh ones, their warm runs, files and primed fork; want 6", got)
	}
}
