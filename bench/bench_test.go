package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/drivers/ociruntime"
	"github.com/agentic-eval/agentic-eval/drivers/registry"
	"github.com/agentic-eval/agentic-eval/drivers/runc"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/oci"
	"github.com/agentic-eval/agentic-eval/probebin"
	"github.com/agentic-eval/agentic-eval/results"
)

func setup(b *testing.B) (driver.Driver, string) {
	b.Helper()
	d := runc.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if fp := d.Fingerprint(ctx); !fp.Available {
		b.Skipf("runc unavailable: %s", fp.Reason)
	}
	probe, err := probebin.Build(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return d, probe
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// outsideRuncRun times one whole `runc run` process from outside: the
// probe starts, answers its ready line, is told to exit, and runc returns.
func outsideRuncRun(b *testing.B, probe, dir string, n int) time.Duration {
	bundle := filepath.Join(dir, fmt.Sprintf("bundle-%d", n))
	id := fmt.Sprintf("ae-bench-%d-%d", os.Getpid(), n)
	if _, err := oci.WriteBundle(bundle, oci.Options{ID: id, Probe: probe}); err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(bundle)
	cmd := exec.Command("runc", "--root", filepath.Join(dir, "root"), "run", "--bundle", bundle, id)
	cmd.Stdin = strings.NewReader("exit\n")
	var out bytes.Buffer
	cmd.Stdout = &out
	t0 := time.Now()
	err := cmd.Run()
	took := time.Since(t0)
	if err != nil || !strings.Contains(out.String(), "AEPROBE ready") {
		b.Fatalf("runc run: %v\n%s", err, out.String())
	}
	return took
}

// bareDetached times one detached start through the runtime client alone:
// the bundle written and the pipes made before the clock starts, then the
// runtime's `run --detach` (with the driver's own flags, root and wrapper)
// until the probe's ready line arrives. It is the runtime's floor on this
// host, the figure the harness's start latency is held against.
func bareDetached(b *testing.B, rt *oci.Runtime, probe, dir string, n int) time.Duration {
	// One read-only rootfs shared by every bundle, as the driver has.
	shared := filepath.Join(dir, "shared")
	if _, err := os.Stat(shared); err != nil {
		if _, err := oci.WriteBundle(shared, oci.Options{ID: "ae-benchbare-shared", Probe: probe, ReadonlyRootfs: true}); err != nil {
			b.Fatal(err)
		}
	}
	bundle := filepath.Join(dir, fmt.Sprintf("bare-%d", n))
	id := fmt.Sprintf("ae-benchbare-%d-%06d", os.Getpid(), n)
	if err := os.Mkdir(bundle, 0o755); err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(bundle)
	o := oci.Options{ID: id, Probe: probe, ReadonlyRootfs: true, CgroupsPath: ociruntime.CgroupParent + "/" + id}
	if _, err := oci.WriteConfig(bundle, filepath.Join(shared, "rootfs"), o); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	defer rt.Delete(ctx, id)
	outR, outW, _ := os.Pipe()
	inR, inW, _ := os.Pipe()
	defer outR.Close()
	defer inW.Close()
	logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("bare-%d.log", n)))
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(logf.Name())
	defer logf.Close()
	buf := make([]byte, 64)
	t0 := time.Now()
	if err := rt.Launch(ctx, bundle, oci.Stdio{Stdin: inR, Stdout: outW, Stderr: logf}, oci.RunArgs(id, bundle)...); err != nil {
		b.Fatal(err)
	}
	outW.Close()
	inR.Close()
	n2, err := outR.Read(buf)
	took := time.Since(t0)
	if err != nil || !strings.Contains(string(buf[:n2]), "AEPROBE ready") {
		b.Fatalf("bare %s start: %v %q", rt.Name, err, buf[:n2])
	}
	return took
}

// overheadVariants are the OCI variants whose harness start is held against
// the bare runtime.
var overheadVariants = []string{"docker/runc", "docker/crun", "gvisor/systrap", "gvisor/ptrace"}

// BenchmarkHarnessOverhead sets, per OCI variant, the harness's start
// latency beside bare detached starts of the same runtime (bareDetached),
// one against one: each pair is a harness run of one start (a Runner with
// its ledger, scratch dir, shared rootfs and the driver's full teardown)
// and one bare start, in ABBA order (harness first in one pair, bare first
// in the next), so that both see the same machine and each follows each
// kind of teardown equally often. Blocks of several starts a side, as
// this bench had before, charge the machine's drift between blocks and
// whatever a teardown leaves to the next start to one side only. It
// reports both medians, the median of the paired differences, and the
// harness's own preparation per spawn (bundle, scratch files, pipes),
// which the start figure leaves out; for runc, whole `runc run`
// processes timed from outside. Target: the harness within 1 ms of the
// bare runtime.
func BenchmarkHarnessOverhead(b *testing.B) {
	for _, variant := range overheadVariants {
		b.Run(strings.ReplaceAll(variant, "/", "-"), func(b *testing.B) {
			benchOverhead(b, variant)
		})
	}
}

// overheadPairs is how many harness-bare pairs one iteration takes.
const overheadPairs = 24

func benchOverhead(b *testing.B, variant string) {
	drv, ok := registry.Lookup(variant)
	if !ok {
		b.Fatalf("no driver %s", variant)
	}
	d, isOCI := drv.(*ociruntime.Driver)
	if !isOCI {
		b.Fatalf("%s is not an OCI-runtime driver", variant)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if fp := d.Fingerprint(ctx); !fp.Available {
		b.Skipf("%s unavailable: %s", variant, fp.Reason)
	}
	probe, err := probebin.Build(ctx)
	if err != nil {
		b.Fatal(err)
	}
	rt, err := d.Runtime()
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close(context.Background())
	dir := b.TempDir()
	harnessStart := func() (start, prep time.Duration) {
		s := results.DefaultSettings()
		// One warm-up start, not counted: a Runner fingerprints its driver
		// first (`runc --version`, `criu check`), and a start right after
		// those processes is slower whoever makes it; in a real run only
		// the first sample follows them, here every pair's would.
		s.Samples, s.MinSamples, s.Warmups, s.Phases = 1, 1, 1, []results.Phase{results.PhaseStartLatency}
		res, err := measure.NewRunner(s, probe).Run(context.Background(), []driver.Driver{d})
		if err != nil {
			b.Fatal(err)
		}
		v := res.Systems[0]
		if v.StartLatency == nil || len(v.Failures) > 0 || len(v.StartLatency.SamplesNS) != 1 {
			b.Fatalf("harness run failed: %+v", v.Failures)
		}
		return time.Duration(v.StartLatency.SamplesNS[0]), time.Duration(v.StartLatency.PrepNS[0])
	}
	bareDetached(b, rt, probe, dir, -1) // one warm-up a side
	harnessStart()
	n := 0
	for i := 0; i < b.N; i++ {
		var harness, prep, bare, outside []time.Duration
		var diffs []float64
		for p := 0; p < overheadPairs; p++ {
			var h, hp, o time.Duration
			if p%2 == 0 {
				h, hp = harnessStart()
				o = bareDetached(b, rt, probe, dir, n)
			} else {
				o = bareDetached(b, rt, probe, dir, n)
				h, hp = harnessStart()
			}
			n++
			harness, prep, bare = append(harness, h), append(prep, hp), append(bare, o)
			diffs = append(diffs, float64(h-o)/1e6)
			if variant == "docker/runc" {
				outside = append(outside, outsideRuncRun(b, probe, dir, n))
			}
		}
		sort.Float64s(diffs)
		b.ReportMetric(float64(median(harness))/1e6, "harness-ms")
		b.ReportMetric(float64(median(bare))/1e6, "bare-ms")
		b.ReportMetric((diffs[len(diffs)/2-1]+diffs[len(diffs)/2])/2, "diff-ms")
		b.ReportMetric(float64(median(prep))/1e6, "prep-ms")
		if len(outside) > 0 {
			b.ReportMetric(float64(median(outside))/1e6, "runc-run-ms")
		}
	}
}

func rssOf(field string) int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// BenchmarkHarnessRSSHolding200 holds 200 idle runc sandboxes through the
// density phase and reads the harness's own RSS while it holds them.
// Target: at most 50 MiB.
func BenchmarkHarnessRSSHolding200(b *testing.B) {
	d, probe := setup(b)
	for i := 0; i < b.N; i++ {
		s := results.DefaultSettings()
		s.Density, s.Phases = 200, []results.Phase{results.PhaseDensity}
		s.Capacity, s.DensityTime = true, 10*time.Minute // fill to 200, not to a stable slope
		r := measure.NewRunner(s, probe)
		var rss int64
		held := 0
		r.Progress = func(e measure.Event) {
			if e.Phase == results.PhaseDensity && e.Message == "reading memory" {
				runtime.GC()
				rss, held = rssOf("VmRSS"), e.Done
			}
		}
		res, err := r.Run(context.Background(), []driver.Driver{d})
		if err != nil {
			b.Fatal(err)
		}
		if den := res.Systems[0].Density; held != 200 && den != nil && den.Capacity != nil && den.Capacity.ReachedGuard {
			b.Skipf("this host's free memory holds %d sandboxes, not 200: %s", held, den.StoppedBy)
		}
		if held != 200 {
			b.Fatalf("held %d sandboxes, not 200: %+v", held, res.Systems[0].Failures)
		}
		b.ReportMetric(float64(rss)/(1<<20), "harness-rss-MiB")
		b.ReportMetric(float64(rssOf("VmHWM"))/(1<<20), "harness-peak-rss-MiB")
		b.ReportMetric(float64(held), "sandboxes")
	}
}
