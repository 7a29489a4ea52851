package runc

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/oci"
)

// BenchmarkDriverVsRuncFromOutside puts the driver's start-latency beside
// runc timed from outside as a whole process, on the same host, bundle and
// probe. Each iteration runs all three, interleaved, so that the machine's
// drift hits them alike:
//
//   - ready-ms: Driver.Start until the harness reads the probe's ready line
//     (the harness's start-latency);
//   - start-returned-ms: Driver.Start until it returns (runc run --detach
//     exits after the probe runs, so this is usually after the ready line);
//   - detach-whole-ms: `runc run --detach` as a whole process (it returns once
//     the probe runs), bundle written beforehand;
//   - fg-whole-ms: `runc run` in the foreground with the probe told to exit
//     at once: start, ready, exit and runc's own teardown.
//
// Reproduce with
//
//	go test ./drivers/runc -run '^$' -bench DriverVsRunc -benchtime 40x
//
// Figures are medians of the iterations. The driver runs prepared (one
// shared rootfs, as under the harness), so its Start writes only a
// config.json; the outside runs get whole bundles written beforehand,
// untimed. Destroy is not timed.
func BenchmarkDriverVsRuncFromOutside(b *testing.B) {
	d := needRunc(b)
	probePath := drivertest.Probe(b)
	bin, _ := d.binary()
	ctx := context.Background()
	// As the harness does: one shared rootfs for the run.
	if err := d.Prepare(ctx, measure.RunEnv{RunID: "bench", Probe: probePath, Dir: b.TempDir()}); err != nil {
		b.Fatal(err)
	}
	defer d.Close(ctx)
	var ready, started, detach, fg []time.Duration
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		// The driver, as the harness drives it.
		var a drivertest.Attached
		spec := newSpec(b, &a)
		t0 := time.Now()
		sb, err := d.Start(ctx, spec)
		if err != nil {
			b.Fatal(err)
		}
		started = append(started, time.Since(t0))
		m, err := a.Stream().Ready(ctx)
		if err != nil {
			b.Fatal(err)
		}
		ready = append(ready, m.At.Sub(t0))
		if err := sb.Destroy(ctx); err != nil {
			b.Fatal(err)
		}
		a.Close()
		// runc from outside.
		for _, detached := range []bool{true, false} {
			id := testPrefix + "bench-" + strconv.Itoa(i) + "-" + strconv.FormatBool(detached)
			bundle := filepath.Join(b.TempDir(), "bundle")
			if _, err := oci.WriteBundle(bundle, oci.Options{ID: id, Probe: probePath, ReadonlyRootfs: true, CgroupsPath: CgroupParent + "/" + id}); err != nil {
				b.Fatal(err)
			}
			var cmd *exec.Cmd
			var out strings.Builder
			if detached {
				// stdio /dev/null: a pipe would stay open in the container.
				cmd = exec.Command(bin, "--root", d.root(), "run", "--detach", "--bundle", bundle, id)
			} else {
				cmd = exec.Command(bin, "--root", d.root(), "run", "--bundle", bundle, id)
				cmd.Stdin = strings.NewReader("exit\n")
				cmd.Stdout, cmd.Stderr = &out, &out
			}
			t0 := time.Now()
			err := cmd.Run()
			el := time.Since(t0)
			if err != nil || (!detached && !strings.Contains(out.String(), "AEPROBE bye")) {
				b.Fatalf("runc run: %v: %s", err, out.String())
			}
			if detached {
				detach = append(detach, el)
			} else {
				fg = append(fg, el)
			}
			if err := d.remove(ctx, id, bundle); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(median(ready)*1e6, "ns/op") // the driver's start-latency
	b.ReportMetric(median(ready), "ready-ms")
	b.ReportMetric(median(started), "start-returned-ms")
	b.ReportMetric(median(detach), "detach-whole-ms")
	b.ReportMetric(median(fg), "fg-whole-ms")
}

// median in milliseconds.
func median(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return float64(m) / 1e6
}
