package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/probe"
)

// engine returns a driver for the real daemon, or skips with the reason.
func engine(t testing.TB) *Driver {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("not root: the Docker tests read the containers' host processes and cgroups")
	}
	d := New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if fp := d.Fingerprint(ctx); !fp.Available {
		t.Skipf("docker unavailable: %s (fix: %s)", fp.Reason, fp.Fix)
	}
	drivertest.Probe(t)
	return d
}

func newRunID(t testing.TB) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "t" + hex.EncodeToString(b)
}

// prepared imports a run's probe image and closes the run at the end of the
// test, checking that Close leaves nothing of it.
func prepared(t *testing.T, d *Driver) driver.RunEnv {
	t.Helper()
	env := driver.RunEnv{RunID: newRunID(t), Probe: drivertest.Probe(t), Dir: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		assertNothingOfRun(t, d, env.RunID)
	})
	if err := d.Prepare(ctx, env); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return env
}

// assertNothingOfRun checks through the API that no container or image of
// the run is left.
func assertNothingOfRun(t *testing.T, d *Driver, runID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli, err := d.client()
	if err != nil {
		t.Fatal(err)
	}
	// By the run's label, and by name in case a label went missing.
	for what, f := range map[string]filters.KeyValuePair{
		"container of run":        filters.Arg("label", RunLabel+"="+runID),
		"container named for run": filters.Arg("name", "ae-"+runID+"-"),
	} {
		ctrs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(f)})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range ctrs {
			t.Errorf("%s %s left: %v %s (%s)", what, runID, c.Names, c.ID, c.State)
		}
	}
	imgs, err := cli.ImageList(ctx, image.ListOptions{All: true, Filters: filters.NewArgs(
		filters.Arg("reference", "ae-"+runID+"-*"))})
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range imgs {
		t.Errorf("image of run %s left: %v %s", runID, im.RepoTags, im.ID)
	}
	left, err := d.Leftovers(ctx, "ae-"+runID+"-")
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("Leftovers of run %s: %v", runID, left)
	}
}

// dockerCgroups maps the id of each container that has a cgroup directory
// in any hierarchy this host mounts (v1, hybrid or v2) to those
// directories: <hierarchy>/docker/<id> under the cgroupfs driver,
// <hierarchy>/<slice>/docker-<id>.scope under systemd's.
func dockerCgroups(t *testing.T) map[string][]string {
	t.Helper()
	mounts, err := host.ReadMountinfo()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string][]string{}
	for _, m := range host.CgroupMounts(mounts) {
		cgroupfs, _ := filepath.Glob(filepath.Join(m.Point, "docker", "*"))
		systemd, _ := filepath.Glob(filepath.Join(m.Point, "*", "docker-*.scope"))
		for _, d := range append(cgroupfs, systemd...) {
			if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
				continue
			}
			id := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(d), "docker-"), ".scope")
			ids[id] = append(ids[id], d)
		}
	}
	return ids
}

// assertNoCgroup checks that no cgroup hierarchy holds a directory for the
// container id.
func assertNoCgroup(t *testing.T, id string) {
	t.Helper()
	for _, d := range dockerCgroups(t)[id] {
		t.Errorf("cgroup of container %s left: %s", id, d)
	}
}

// sandboxSpec is the spec of the run's sandbox n, as the harness makes it.
func sandboxSpec(env driver.RunEnv, n int, attach func(io.Reader, io.Writer)) driver.Spec {
	return driver.Spec{ID: fmt.Sprintf("ae-%s-%d", env.RunID, n), Probe: env.Probe, Dir: env.Dir, Attach: attach}
}

// attached starts a sandbox whose streams go to a probe.Stream.
func attached(ctx context.Context, d *Driver, env driver.RunEnv, n int) (driver.Sandbox, *probe.Stream, error) {
	var st *probe.Stream
	sb, err := d.Start(ctx, sandboxSpec(env, n, func(out io.Reader, in io.Writer) { st = probe.NewStream(out, in) }))
	if err != nil && st != nil {
		st.Close()
		st = nil
	}
	return sb, st, err
}

func TestFingerprintOfTheRealDaemon(t *testing.T) {
	d := engine(t)
	fp := d.Fingerprint(context.Background())
	if !fp.Available || fp.Reason != "" {
		t.Fatalf("fingerprint: %+v", fp)
	}
	for _, k := range []string{"server_version", "api_version", "api_version_used", "storage_driver", "cgroup_driver", "kernel"} {
		if fp.Details[k] == "" {
			t.Errorf("Details[%q] is empty: %v", k, fp.Details)
		}
	}
	if fp.Version == "" || fp.Version != fp.Details["server_version"] {
		t.Errorf("Version %q, server_version %q", fp.Version, fp.Details["server_version"])
	}
	// The snapshot detail says the situation, and the capability follows it.
	snap := fp.Details["snapshot"]
	t.Logf("snapshot: %s", snap)
	if d.Capabilities().Snapshot != strings.HasPrefix(snap, "attempted: ") {
		t.Errorf("snapshot capability %v, detail %q", d.Capabilities().Snapshot, snap)
	}
	if fp.Details["experimental"] != "true" && !strings.Contains(snap, "experimental mode") {
		t.Errorf("a daemon without experimental mode, and the detail %q does not say so", snap)
	}
	if fp.Details["criu_check"] != "" && !slices.ContainsFunc(fp.Warnings, func(w string) bool {
		return strings.Contains(w, "CRIU") || strings.Contains(w, "experimental")
	}) {
		t.Errorf("criu check fails here (%s), and no warning says what it means for snapshots: %v", fp.Details["criu_check"], fp.Warnings)
	}
	t.Logf("docker %s, API %s (used %s), %s, %s cgroups v%s", fp.Version, fp.Details["api_version"],
		fp.Details["api_version_used"], fp.Details["storage_driver"], fp.Details["cgroup_driver"], fp.Details["cgroup_version"])
}

func TestFingerprintNamesAMissingSocket(t *testing.T) {
	host := "unix://" + filepath.Join(t.TempDir(), "dockerd.sock")
	fp := NewWithHost(host).Fingerprint(context.Background())
	if fp.Available {
		t.Fatalf("available at a socket that does not exist: %+v", fp)
	}
	if want := "dockerd not reachable at " + host + ": no such file or directory"; fp.Reason != want {
		t.Errorf("reason %q, want %q", fp.Reason, want)
	}
	if fp.Fix != "run scripts/start-dockerd.sh, or set DOCKER_HOST" {
		t.Errorf("fix %q", fp.Fix)
	}
}

func TestFingerprintNamesARefusedConnection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dockerd.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close() // the socket file stays, nobody listens: as after dockerd died
	fp := NewWithHost("unix://" + path).Fingerprint(context.Background())
	if want := "dockerd not reachable at unix://" + path + ": connection refused"; fp.Available || fp.Reason != want {
		t.Errorf("got available=%v reason %q, want %q", fp.Available, fp.Reason, want)
	}
}

func TestCapabilitiesAreTheEngines(t *testing.T) {
	// Capabilities are static data: the same with no daemon at all.
	none := NewWithHost("unix://" + filepath.Join(t.TempDir(), "dockerd.sock")).Capabilities()
	c := New().Capabilities()
	if none != c {
		t.Errorf("capabilities without a daemon %+v differ from %+v", none, c)
	}
	if !c.Snapshot {
		t.Error("the Engine's checkpoint API is not offered")
	}
	if c.Snapshot != c.Restore || c.Snapshot != c.RestoreMany {
		t.Errorf("snapshot, restore and restore-many differ: %+v", c)
	}
	if !c.Exec || c.Boundary != "shared-kernel" {
		t.Errorf("exec %v boundary %q", c.Exec, c.Boundary)
	}
	want := driver.ControlPlane{Kind: "Docker Engine REST API (unix socket)", Programmatic: true, MachineErrors: true, DiscoverableSchema: true}
	if c.Control != want {
		t.Errorf("control %+v, want %+v", c.Control, want)
	}
}

func TestStartNeedsAPreparedRun(t *testing.T) {
	_, err := New().Start(context.Background(), driver.Spec{ID: "ae-x-1", Attach: func(io.Reader, io.Writer) {}})
	if err == nil || !strings.Contains(err.Error(), "Prepare") {
		t.Errorf("Start without Prepare: %v", err)
	}
}

func TestPrepareRefusesARunIDThatCannotNameAnImage(t *testing.T) {
	d := New()
	err := d.Prepare(context.Background(), driver.RunEnv{RunID: "Run_ID", Probe: "/nonexistent"})
	if err == nil || !strings.Contains(err.Error(), "run id") {
		t.Errorf("Prepare(Run_ID): %v", err)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Errorf("Close after a refused Prepare: %v", err)
	}
}

func TestDestroyOfAContainerRemovedBehindItsBackSucceeds(t *testing.T) {
	d := engine(t)
	env := prepared(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sb, st, err := attached(ctx, d, env, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cli, _ := d.client()
	if err := cli.ContainerRemove(ctx, sb.ID(), container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if err := sb.Destroy(ctx); err != nil {
		t.Errorf("Destroy of a container already gone: %v", err)
	}
}

func TestStartCancelledBeforeTheContainerStartsLeavesNothing(t *testing.T) {
	d := engine(t)
	env := prepared(t, d)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var st *probe.Stream
	_, err := d.Start(ctx, driver.Spec{
		ID: "ae-" + env.RunID + "-1", Probe: env.Probe, Dir: env.Dir,
		Attach: func(out io.Reader, in io.Writer) {
			st = probe.NewStream(out, in)
			cancel() // the container exists and is attached, not started
		},
	})
	if err == nil {
		t.Fatal("Start succeeded with its context cancelled")
	}
	if st == nil {
		t.Fatal("Attach was not called")
	}
	defer st.Close()
	if _, rerr := st.Ready(context.Background()); rerr == nil {
		t.Errorf("a ready line arrived from a start that was cancelled before it began")
	}
	t.Logf("cancelled Start: %v", err)
	// Start removes synchronously what it knows it created.
	assertNothingOfRunButImage(t, d, env.RunID)
}

// assertNothingOfRunButImage checks that no container of the run is left,
// nor a cgroup of one.
func assertNothingOfRunButImage(t *testing.T, d *Driver, runID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctrs, _, err := d.leftovers(ctx, "ae-"+runID+"-")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ctrs {
		t.Errorf("container left: %v %s (%s)", c.Names, c.ID, c.State)
	}
	cli, _ := d.client()
	for id, dirs := range dockerCgroups(t) {
		if info, err := cli.ContainerInspect(ctx, id); err == nil && info.Config.Labels[RunLabel] == runID {
			t.Errorf("cgroup of a container of the run left: %s", strings.Join(dirs, " "))
		}
	}
}

func TestCloseRemovesContainersStillThere(t *testing.T) {
	d := engine(t)
	env := driver.RunEnv{RunID: newRunID(t), Probe: drivertest.Probe(t), Dir: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.Prepare(ctx, env); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		sb, st, err := attached(ctx, d, env, i)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		cli, _ := d.client()
		info, err := cli.ContainerInspect(ctx, sb.ID())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, info.ID)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	assertNothingOfRun(t, d, env.RunID)
	for _, id := range ids {
		assertNoCgroup(t, id)
	}
	// The driver can serve the next run.
	if err := d.Prepare(ctx, driver.RunEnv{RunID: newRunID(t), Probe: drivertest.Probe(t)}); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentStartsEachGetTheirOwnStreams(t *testing.T) {
	d := engine(t)
	env := prepared(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const k = 8 // the harness's default burst
	type started struct {
		sb  driver.Sandbox
		st  *probe.Stream
		err error
	}
	results := make(chan started, k)
	for i := range k {
		go func() {
			sb, st, err := attached(ctx, d, env, i)
			results <- started{sb, st, err}
		}()
	}
	var all []started
	for range k {
		r := <-results
		if r.err != nil {
			t.Errorf("Start: %v", r.err)
			continue
		}
		all = append(all, r)
	}
	for _, r := range all {
		if _, err := r.st.Ready(ctx); err != nil {
			t.Errorf("%s: ready: %v", r.sb.ID(), err)
			continue
		}
		// Each probe counts its own pings: a crossed stream would answer
		// another container's count.
		for want := 1; want <= 2; want++ {
			m, err := r.st.Request(ctx, "ping")
			if err != nil || m.Payload != fmt.Sprint(want) {
				t.Errorf("%s: ping %d: %+v, %v", r.sb.ID(), want, m, err)
			}
		}
	}
	for _, r := range all {
		r.st.Close()
		if err := r.sb.Destroy(ctx); err != nil {
			t.Errorf("Destroy: %v", err)
		}
	}
	assertNothingOfRunButImage(t, d, env.RunID)
}

// BenchmarkStartToReady measures, per sandbox, the time from Start (the
// container create request) to the harness reading the ready line, and
// reports its median. Teardown is outside the timed span.
func BenchmarkStartToReady(b *testing.B) {
	d := engine(b)
	env := driver.RunEnv{RunID: newRunID(b), Probe: drivertest.Probe(b), Dir: b.TempDir()}
	ctx := context.Background()
	if err := d.Prepare(ctx, env); err != nil {
		b.Fatal(err)
	}
	defer d.Close(ctx)
	var samples []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		sb, st, err := attached(ctx, d, env, i)
		if err != nil {
			b.Fatal(err)
		}
		m, err := st.Ready(ctx)
		if err != nil {
			b.Fatal(err)
		}
		samples = append(samples, m.At.Sub(t0))
		b.StopTimer()
		st.Close()
		if err := sb.Destroy(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	slices.Sort(samples)
	b.ReportMetric(float64(samples[len(samples)/2].Microseconds())/1000, "ms-median-to-ready")
	b.Logf("start-to-ready samples: %v", samples)
}

// TestADaemonThatAnswersIsReachableThroughTheDriver asks the project's
// dockerd for /_ping over its socket by hand, without the driver's client:
// when it answers, the driver must reach it too. (A driver whose dialer
// lost the socket path made every daemon look unreachable, and every test
// here skip.)
func TestADaemonThatAnswersIsReachableThroughTheDriver(t *testing.T) {
	const sock = "/run/agentic-eval/dockerd.sock"
	hc := http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
	resp, err := hc.Get("http://docker/_ping")
	if err != nil {
		t.Skipf("the project's dockerd does not answer at %s (%v): scripts/setup.sh starts it", sock, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Skipf("dockerd at %s answered /_ping with %s", sock, resp.Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if fp := NewWithHost("unix://" + sock).Fingerprint(ctx); !fp.Available {
		t.Errorf("dockerd answers /_ping by hand, but the driver says: %s", fp.Reason)
	}
}
