package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/drivers/registry"
	"github.com/agentic-eval/agentic-eval/image"
	"github.com/agentic-eval/agentic-eval/residue"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/vms"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "agentic-eval-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "agentic-eval")
	build := exec.Command("go", "build", "-o", binary, "github.com/agentic-eval/agentic-eval/cmd/agentic-eval")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build agentic-eval:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// usableDriver finds a registered driver by variant and skips the test, with the
// fingerprint's reason, when it cannot run here.
func usableDriver(t *testing.T, variant string) driver.Driver {
	t.Helper()
	for _, d := range registry.Drivers() {
		if d.Variant() == variant {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if fp := d.Fingerprint(ctx); !fp.Available {
				t.Skipf("%s unavailable here: %s (fix: %s)", variant, fp.Reason, fp.Fix)
			}
			return d
		}
	}
	t.Fatalf("no driver %q registered", variant)
	return nil
}

// run is one agentic-eval process whose stderr is watched line by line.
type run struct {
	cmd    *exec.Cmd
	stdout strings.Builder
	mu     sync.Mutex
	lines  []string
	runID  chan string
	done   chan struct{}
}

var runIDLine = regexp.MustCompile(`^run ([0-9a-f]+): `)

func start(t *testing.T, args ...string) *run {
	t.Helper()
	r := &run{runID: make(chan string, 1), done: make(chan struct{})}
	r.cmd = exec.Command(binary, args...)
	r.cmd.Stdout = &r.stdout
	errPipe, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			line := sc.Text()
			r.mu.Lock()
			r.lines = append(r.lines, line)
			r.mu.Unlock()
			if m := runIDLine.FindStringSubmatch(line); m != nil {
				select {
				case r.runID <- m[1]:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			r.cmd.Wait()
		}
	})
	return r
}

func (r *run) stderr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// id waits for the run to announce its ID.
func (r *run) id(t *testing.T) string {
	t.Helper()
	select {
	case id := <-r.runID:
		return id
	case <-r.done:
		select {
		case id := <-r.runID:
			return id
		default:
		}
		r.cmd.Wait()
		t.Fatalf("agentic-eval exited (%v) before announcing its run; stderr:\n%s", r.cmd.ProcessState, r.stderr())
	case <-time.After(5 * time.Minute):
		t.Fatalf("the run never announced its ID; stderr:\n%s", r.stderr())
	}
	return ""
}

// wait waits for the process to end and returns its exit code.
func (r *run) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	exited := make(chan error, 1)
	go func() { <-r.done; exited <- r.cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(limit):
		r.cmd.Process.Kill()
		t.Fatalf("agentic-eval did not exit within %s; stderr:\n%s", limit, r.stderr())
	}
	return r.cmd.ProcessState.ExitCode()
}

// leftovers lists what a run left: whatever its drivers can still find of
// it, and on the host the mounts, cgroups, processes and temp dirs named
// with its prefix.
func leftovers(t *testing.T, runID string, drivers ...driver.Driver) []string {
	t.Helper()
	prefix := "ae-" + runID + "-"
	var out []string
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, d := range drivers {
		sw, ok := d.(driver.Reaper)
		if !ok {
			t.Fatalf("driver %s cannot list leftovers", d.Variant())
		}
		left, err := sw.Leftovers(ctx, "ae-"+runID)
		if err != nil {
			t.Fatalf("%s leftovers: %v", d.Variant(), err)
		}
		for _, l := range left {
			out = append(out, d.Variant()+": "+l)
		}
	}
	rep, err := residue.Scan(residue.Query{Prefix: prefix, Globs: []string{filepath.Join(os.TempDir(), "ae-"+runID+"*")}})
	if err != nil {
		t.Fatalf("scan the host: %v", err)
	}
	return append(out, rep.Lines()...)
}

// waitFor polls cond until it holds or the limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// liveSandboxes counts the run's sandboxes that have host processes: every
// process of a sandbox names it on its command line (the probe's
// --sandbox=ID under runc and Docker, QEMU's -name, runsc's bundle path).
func liveSandboxes(runID string) int {
	ps, _ := residue.Processes("ae-" + runID + "-")
	ids := map[string]bool{}
	re := regexp.MustCompile(`ae-` + runID + `-[0-9]+`)
	for _, p := range ps {
		if id := re.FindString(p.Cmdline); id != "" {
			ids[id] = true
		}
	}
	return len(ids)
}

func readResults(t *testing.T, path string) *results.Results {
	t.Helper()
	res, err := results.ReadResultsFile(path)
	if err != nil {
		t.Fatalf("results: %v", err)
	}
	return res
}

func TestMeasureThroughRuncRecordsEveryAxisAndLeavesNothing(t *testing.T) {
	d := usableDriver(t, "docker/runc")
	out := filepath.Join(t.TempDir(), "r.json")
	r := start(t, "vms", "measure", "docker/runc", "--phases", "all", "--samples", "5", "--min-samples", "5", "--warmups", "1", "--burst", "3", "--arrival-rates", "4", "--arrival-hold", "1s", "--density", "4", "--density-time", "2m", "--churn", "20", "--churn-time", "2m", "--forks", "2", "--out", out)
	id := r.id(t)
	if code := r.wait(t, 5*time.Minute); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, r.stderr())
	}
	res := readResults(t, out)
	v := res.Variant("docker/runc")
	if v == nil {
		t.Fatalf("no docker/runc row in %s", out)
	}
	// The last start-latency sandbox goes on to the isolation phase: its
	// teardown is not a start-latency sample.
	if v.StartLatency == nil || v.StartLatency.Summary.N != 5 || len(v.StartLatency.SamplesNS) != 5 || len(v.StartLatency.TeardownNS) != 4 {
		t.Errorf("start-latency %+v", v.StartLatency)
	}
	if sw := v.BurstSweep; sw == nil || len(sw.Levels) != 2 || sw.Levels[1].K != 3 || sw.Levels[1].Started != 3 || sw.Levels[1].SpawnsPerSecond <= 0 {
		t.Errorf("burst ladder 1, 3: %+v", v.BurstSweep)
	}
	if a := v.Arrivals; a == nil || len(a.Rates) == 0 || a.Rates[0].Done == 0 {
		t.Errorf("arrivals %+v", v.Arrivals)
	}
	if v.Density == nil || v.Density.Started != 4 || len(v.Density.PerInstanceBytes) != 4 || v.Density.PerInstanceBytes[0] <= 0 {
		t.Errorf("density %+v", v.Density)
	}
	if v.Density == nil || v.Density.Capacity == nil || len(v.Density.Capacity.Points) != 5 || v.Density.Capacity.ByAccounting.PerGiB <= 0 {
		t.Errorf("capacity %+v", v.Density)
	}
	if c := v.Churn; c == nil || c.Cycles != 20 || c.Residue == nil || len(c.Residue.Own) != 0 || len(c.Drift) != 2 {
		t.Errorf("churn %+v", c)
	}
	if v.Isolation == nil || v.Isolation.Assessment.Boundary != "shared-kernel" || !v.Isolation.Assessment.Observed {
		t.Errorf("runc shares the host's kernel and the probe must observe it: %+v", v.Isolation)
	}
	if v.Snapshot == nil {
		t.Error("no snapshot result: a snapshot that cannot work here must say why")
	} else if v.Snapshot.Verified > 0 {
		t.Logf("snapshot worked here: %+v", v.Snapshot)
	} else if v.Snapshot.Cause == "" {
		t.Errorf("snapshot neither verified nor explained: %+v", v.Snapshot)
	}
	if res.Host.KernelRelease == "" || res.Host.BootID == "" || res.Settings.Samples != 5 {
		t.Errorf("host or settings missing: %+v %+v", res.Host, res.Settings)
	}
	if !strings.Contains(r.stdout.String(), "docker/runc") {
		t.Errorf("no summary table on stdout:\n%s", r.stdout.String())
	}
	if left := leftovers(t, id, d); len(left) > 0 {
		t.Errorf("the run left:\n%s", strings.Join(left, "\n"))
	}
}

// interruptMidRun starts a long measurement, waits until it holds
// sandboxes, sends sig and checks the run ends, says so, keeps its partial
// results and leaves nothing.
func interruptMidRun(t *testing.T, variant string, sig syscall.Signal, phaseArgs ...string) {
	interruptHolding(t, variant, sig, 2, phaseArgs...)
}

// interruptHolding is interruptMidRun once the run holds minLive sandboxes.
func interruptHolding(t *testing.T, variant string, sig syscall.Signal, minLive int, phaseArgs ...string) {
	d := usableDriver(t, variant)
	out := filepath.Join(t.TempDir(), "r.json")
	args := append([]string{"vms", "measure", variant, "--out", out}, phaseArgs...)
	r := start(t, args...)
	id := r.id(t)
	waitFor(t, 3*time.Minute, "the run to hold sandboxes", func() bool { return liveSandboxes(id) >= minLive })
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	code := r.wait(t, 2*time.Minute)
	if code == 0 {
		t.Errorf("an interrupted run exited 0; stderr:\n%s", r.stderr())
	}
	if !strings.Contains(r.stderr(), "interrupted") {
		t.Errorf("stderr does not say the run was interrupted:\n%s", r.stderr())
	}
	if res := readResults(t, out); !res.Interrupted {
		t.Errorf("results not marked interrupted")
	}
	if left := leftovers(t, id, d); len(left) > 0 {
		t.Errorf("after %s the run left:\n%s", sig, strings.Join(left, "\n"))
	}
}

func TestSIGINTDuringDensityLeavesNothing(t *testing.T) {
	interruptMidRun(t, "docker/runc", syscall.SIGINT, "--phases", "density", "--density", "200", "--capacity")
}

// TestInterruptedChurnLeavesNothing interrupts the churn loop, which
// holds one sandbox at a time, in the middle of its cycles.
func TestInterruptedChurnLeavesNothing(t *testing.T) {
	for _, c := range []struct {
		variant string
		sig     syscall.Signal
	}{{"docker/runc", syscall.SIGINT}, {"docker", syscall.SIGINT}, {"gvisor/systrap", syscall.SIGTERM}, {"qemu-kvm/tcg", syscall.SIGINT}} {
		t.Run(strings.ReplaceAll(c.variant, "/", "-"), func(t *testing.T) {
			interruptHolding(t, c.variant, c.sig, 1, "--phases", "churn", "--churn", "100000", "--churn-time", "10m")
		})
	}
}

func TestSIGINTDuringCrunDensityLeavesNothing(t *testing.T) {
	interruptMidRun(t, "docker/crun", syscall.SIGINT, "--phases", "density", "--density", "200", "--capacity")
}

// TestInterruptedWorkloadsLeaveNothing interrupts the workload phase (code
// running in sandboxes of the Python image) through runc and gVisor.
func TestInterruptedWorkloadsLeaveNothing(t *testing.T) {
	for _, variant := range []string{"docker/runc", "gvisor/systrap"} {
		t.Run(strings.ReplaceAll(variant, "/", "-"), func(t *testing.T) {
			if _, err := image.Find(image.CacheDir()); err != nil {
				t.Skipf("no sandbox image: %v", err)
			}
			interruptHolding(t, variant, syscall.SIGINT, 1, "--phases", "workload", "--workload-samples", "50", "--warm-runs", "50")
		})
	}
}

func TestSIGTERMDuringBurstLeavesNothing(t *testing.T) {
	interruptMidRun(t, "docker/runc", syscall.SIGTERM, "--phases", "burst,density", "--burst", "6", "--density", "200", "--capacity")
}

// TestSIGINTDuringTheSweepsLeavesNothing interrupts the burst ladder at
// its top level and the arrival ladder mid-rate.
func TestSIGINTDuringTheSweepsLeavesNothing(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"burst", []string{"--phases", "burst", "--burst-ladder", "1", "--burst", "200", "--burst-budget", "5m", "--sweep-until", "ready"}},
		{"arrivals", []string{"--phases", "arrivals", "--arrival-rates", "40", "--arrival-hold", "3m", "--arrival-budget", "1h", "--arrival-p99", "10m", "--sweep-until", "ready"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			interruptHolding(t, "docker/runc", syscall.SIGINT, 1, c.args...)
		})
	}
}

func TestSIGINTDuringDockerDensityLeavesNothing(t *testing.T) {
	interruptMidRun(t, "docker", syscall.SIGINT, "--phases", "density", "--density", "200", "--capacity")
}

// TestKilledSandboxProcessIsRecordedAndCleanedUp kills, from outside, a
// host process of one sandbox the density phase holds (the probe under runc
// and Docker, a runsc process under gVisor, the VMM under QEMU): the run
// must go on, account for it, and leave nothing.
func TestKilledSandboxProcessIsRecordedAndCleanedUp(t *testing.T) {
	for _, variant := range []string{"docker/runc", "docker/crun", "docker", "gvisor/systrap", "qemu-kvm/tcg"} {
		t.Run(strings.ReplaceAll(variant, "/", "-"), func(t *testing.T) {
			d := usableDriver(t, variant)
			out := filepath.Join(t.TempDir(), "r.json")
			r := start(t, "vms", "measure", variant, "--phases", "density", "--density", "5", "--density-time", "5m", "--capacity", "--out", out)
			id := r.id(t)
			waitFor(t, 3*time.Minute, "the run to hold sandboxes", func() bool { return liveSandboxes(id) >= 3 })
			ps, _ := residue.Processes("ae-" + id + "-")
			if len(ps) == 0 {
				t.Fatal("no process of the run's sandboxes found to kill")
			}
			victim := ps[0]
			if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
				t.Fatalf("kill %d: %v", victim.PID, err)
			}
			if code := r.wait(t, 5*time.Minute); code != 0 {
				t.Fatalf("exit %d after a sandbox was killed under the run; stderr:\n%s", code, r.stderr())
			}
			res := readResults(t, out)
			if v := res.Variant(variant); v == nil || v.Density == nil || v.Density.Started == 0 {
				t.Errorf("density not recorded after the kill: %+v", v)
			}
			if left := leftovers(t, id, d); len(left) > 0 {
				t.Errorf("the run left:\n%s", strings.Join(left, "\n"))
			}
		})
	}
}

// TestKilledRuntimeDaemonChildIsSurvived kills the containerd shim of one
// held Docker sandbox: a runtime process, not the sandbox's own.
func TestKilledContainerdShimIsSurvived(t *testing.T) {
	d := usableDriver(t, "docker")
	out := filepath.Join(t.TempDir(), "r.json")
	r := start(t, "vms", "measure", "docker", "--phases", "density", "--density", "10", "--out", out)
	id := r.id(t)
	waitFor(t, 3*time.Minute, "the run to hold sandboxes", func() bool { return liveSandboxes(id) >= 3 })
	ps, _ := residue.Processes("--sandbox=ae-" + id + "-")
	shim := 0
	for _, p := range ps {
		if pp := parent(p.PID); pp > 0 && strings.Contains(comm(pp), "containerd-shim") {
			shim = pp
			break
		}
	}
	if shim == 0 {
		t.Skip("no containerd-shim parent found for the run's sandboxes (docker without shims?)")
	}
	if err := syscall.Kill(shim, syscall.SIGKILL); err != nil {
		t.Fatalf("kill shim %d: %v", shim, err)
	}
	if code := r.wait(t, 5*time.Minute); code != 0 {
		t.Fatalf("exit %d after a shim was killed under the run; stderr:\n%s", code, r.stderr())
	}
	if left := leftovers(t, id, d); len(left) > 0 {
		t.Errorf("the run left:\n%s", strings.Join(left, "\n"))
	}
}

func comm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

func parent(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0
	}
	p, _ := strconv.Atoi(f[1])
	return p
}

func TestResultsCommandReprintsASavedRun(t *testing.T) {
	usableDriver(t, "docker/runc")
	out := filepath.Join(t.TempDir(), "r.json")
	r := start(t, "vms", "measure", "runc", "--phases", "start-latency", "--samples", "3", "--warmups", "0", "--out", out)
	if code := r.wait(t, 3*time.Minute); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, r.stderr())
	}
	for _, format := range []string{"text", "markdown", "json"} {
		cmd := exec.Command(binary, "vms", "results", out, "--format", format)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("results --format %s: %v\n%s", format, err, b)
		}
		switch format {
		case "json":
			var res results.Results
			if err := json.Unmarshal(b, &res); err != nil || res.Schema != results.Schema {
				t.Errorf("json output does not parse as results: %v", err)
			}
		default:
			if !strings.Contains(string(b), "docker/runc") {
				t.Errorf("%s output lacks the variant:\n%s", format, b)
			}
		}
	}
	ev := exec.Command(binary, "vms", "evaluate", "--results", out, "--format", "json")
	b, err := ev.Output()
	if err != nil {
		t.Fatalf("evaluate --results: %v", err)
	}
	// The answer is for the run's host first: the systems it did not
	// measure are apart; together they are the seven.
	type evaluatedRow struct {
		System  string `json:"system"`
		Primary string `json:"primary"`
		Axes    []struct {
			Axis       string `json:"axis"`
			Provenance string `json:"provenance"`
		} `json:"effective"`
		NotMeasured []struct {
			Variant string `json:"variant"`
			Reason  string `json:"reason"`
		} `json:"not_measured"`
	}
	var evaluation struct {
		Rows  []evaluatedRow `json:"rows"`
		Apart []evaluatedRow `json:"apart"`
	}
	if err := json.Unmarshal(b, &evaluation); err != nil || len(evaluation.Rows)+len(evaluation.Apart) != 7 {
		t.Fatalf("evaluate json: %v, %d rows and %d apart", err, len(evaluation.Rows), len(evaluation.Apart))
	}
	for _, row := range append(evaluation.Rows, evaluation.Apart...) {
		if row.System != "docker" {
			if row.Primary != "" || len(row.NotMeasured) == 0 || row.NotMeasured[0].Reason == "" {
				t.Errorf("%s was not measured in this run but its row says primary %q, reasons %+v", row.System, row.Primary, row.NotMeasured)
			}
			continue
		}
		if row.Primary != "docker/runc" || row.Axes[0].Axis != "start-latency" || row.Axes[0].Provenance != "measured" || row.Axes[1].Provenance != "curated" {
			t.Errorf("docker row: primary %q, axes %+v", row.Primary, row.Axes)
		}
	}
	bad := exec.Command(binary, "vms", "results", filepath.Join(t.TempDir(), "missing.json"))
	b, _ = bad.CombinedOutput()
	if bad.ProcessState.ExitCode() != 2 || strings.Count(strings.TrimSpace(string(b)), "\n") != 0 {
		t.Errorf("a missing results file: exit %d, output %q; want 2 and one line", bad.ProcessState.ExitCode(), b)
	}
}

func TestSIGINTDuringGVisorDensityLeavesNothing(t *testing.T) {
	interruptMidRun(t, "gvisor/systrap", syscall.SIGINT, "--phases", "density", "--density", "50", "--capacity")
}

func TestSIGTERMDuringQEMUDensityLeavesNothing(t *testing.T) {
	interruptMidRun(t, "qemu-kvm/tcg", syscall.SIGTERM, "--phases", "density", "--density", "20", "--capacity")
}

// TestIsolationIsObservedThroughEveryRuntime runs the isolation phase
// through each measurable runtime and checks what the probe saw from inside:
// runc and Docker share the host's kernel (the same boot_id, observed),
// gVisor presents its own userspace kernel (observed), and a QEMU guest
// under TCG runs a kernel of its own behind software emulation, declared,
// not observed.
func TestIsolationIsObservedThroughEveryRuntime(t *testing.T) {
	for _, c := range []struct {
		variant    string
		boundary   vms.Boundary
		observed   bool
		sameBootID bool
	}{
		{"docker/runc", vms.BoundarySharedKernel, true, true},
		{"docker/crun", vms.BoundarySharedKernel, true, true},
		{"docker", vms.BoundarySharedKernel, true, true},
		{"gvisor/systrap", vms.BoundaryUserspaceKernel, true, false},
		{"qemu-kvm/tcg", vms.BoundarySoftwareEmulation, false, false},
	} {
		t.Run(strings.ReplaceAll(c.variant, "/", "-"), func(t *testing.T) {
			d := usableDriver(t, c.variant)
			out := filepath.Join(t.TempDir(), "r.json")
			r := start(t, "vms", "measure", c.variant, "--phases", "isolation", "--out", out)
			id := r.id(t)
			if code := r.wait(t, 3*time.Minute); code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, r.stderr())
			}
			v := readResults(t, out).Variant(c.variant)
			if v == nil || v.Isolation == nil || v.Isolation.Facts == nil {
				t.Fatalf("no isolation facts for %s: %+v", c.variant, v)
			}
			a := v.Isolation.Assessment
			if a.Boundary != c.boundary || a.Observed != c.observed {
				t.Errorf("boundary %s observed=%v, want %s observed=%v (basis: %s)", a.Boundary, a.Observed, c.boundary, c.observed, a.Basis)
			}
			inside := v.Isolation.Facts.BootID.Value
			if same := inside == v.Isolation.HostBootID; same != c.sameBootID {
				t.Errorf("boot_id inside %q vs host %q: same=%v, want %v", inside, v.Isolation.HostBootID, same, c.sameBootID)
			}
			if left := leftovers(t, id, d); len(left) > 0 {
				t.Errorf("the run left:\n%s", strings.Join(left, "\n"))
			}
		})
	}
}
