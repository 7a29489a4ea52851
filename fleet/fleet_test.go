package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/agentic-eval/agentic-eval/drivers/k8s"
	"github.com/agentic-eval/agentic-eval/internal/kubetest"
	"github.com/agentic-eval/agentic-eval/probebin"
	"github.com/agentic-eval/agentic-eval/reap"
)

func TestMain(m *testing.M) {
	code := kubetest.Main(m)
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

var (
	buildOnce          sync.Once
	buildDir           string
	harness, probePath string
	buildErr           error
)

// binaries builds the harness and the probe once for the package.
func binaries(t *testing.T) (string, string) {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "ae-fleet-test-")
		if buildErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if harness, buildErr = BuildHarness(ctx, buildDir); buildErr != nil {
			return
		}
		probePath, buildErr = probebin.Build(ctx)
	})
	if buildErr != nil {
		t.Fatalf("build: %v", buildErr)
	}
	return harness, probePath
}

func connect(t *testing.T) *k8s.Conn {
	t.Helper()
	kubetest.Skip(t)
	conn, err := k8s.Connect()
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func options(t *testing.T, conn *k8s.Conn, args ...string) Options {
	h, p := binaries(t)
	return Options{Conn: conn, MeasureArgs: args, Timeout: 10 * time.Minute, Harness: h, Probe: p, Busybox: "/bin/busybox", Progress: testWriter{t}}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// nothingLeft fails t for anything of the run still in the cluster or on
// the host: its namespace, Jobs, pods, image, directory.
func nothingLeft(t *testing.T, conn *k8s.Conn, runID string, hostDirExisted bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := conn.Client.CoreV1().Namespaces().Get(ctx, Namespace(runID), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace %s is still there (%v)", Namespace(runID), err)
	}
	sel := metav1.ListOptions{LabelSelector: k8s.RunLabel + "=" + runID}
	if jobs, err := conn.Client.BatchV1().Jobs("").List(ctx, sel); err != nil || len(jobs.Items) > 0 {
		t.Errorf("jobs of the run left: %v (%v)", jobs, err)
	}
	if pods, err := conn.Client.CoreV1().Pods("").List(ctx, sel); err != nil || len(pods.Items) > 0 {
		t.Errorf("pods of the run left: %d (%v)", len(pods.Items), err)
	}
	imgs, err := k8s.LocalImages(ctx, ImageRef(runID))
	if err != nil || len(imgs) > 0 {
		t.Errorf("images of the run left in containerd: %v (%v)", imgs, err)
	}
	if _, err := os.Lstat(filepath.Join(HostDir, runID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the run's directory %s is still on the host (%v)", filepath.Join(HostDir, runID), err)
	}
	if !hostDirExisted {
		if _, err := os.Lstat(HostDir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was made by the run and is still there (%v)", HostDir, err)
		}
	}
}

func TestFleetMeasureOfTheNodeMergesItsResultsAndLeavesNothing(t *testing.T) {
	conn := connect(t)
	o := options(t, conn, "docker/runc", "--phases", "start-latency", "--samples", "3", "--warmups", "1")
	hostDirExisted := exists(HostDir)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	set, err := Run(ctx, o)
	if set == nil {
		t.Fatalf("Run: %v", err)
	}
	nothingLeft(t, conn, set.RunID, hostDirExisted)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(set.Nodes) != 1 {
		t.Fatalf("the set has %d nodes; want the cluster's one: %+v", len(set.Nodes), set.Nodes)
	}
	n := set.Nodes[0]
	if !n.Measured {
		t.Fatalf("node %s not measured: %s", n.Node, n.Cause)
	}
	v := n.Results.Variant("docker/runc")
	if v == nil || v.StartLatency == nil || len(v.StartLatency.SamplesNS) == 0 {
		t.Fatalf("node %s has no docker/runc start-latency figure: %+v", n.Node, n.Results.Systems)
	}
	if n.Results.Node != n.Node {
		t.Errorf("the node's results are labelled %q; want %q", n.Results.Node, n.Node)
	}

	// The set is what the readers take, host by host, named by node.
	path := filepath.Join(t.TempDir(), "fleet.json")
	var out bytes.Buffer
	if err := writeJSON(&out, set); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"vms", "results", path}, {"vms", "evaluate", "--results", path}} {
		cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(cctx, o.Harness, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		ccancel()
		if err != nil {
			t.Fatalf("agentic-eval %s: %v: %s", strings.Join(args, " "), err, stderr.String())
		}
		if !strings.Contains(stdout.String(), n.Node+": run "+n.Results.RunID) {
			t.Errorf("agentic-eval %s does not name the node %s:\n%s", strings.Join(args, " "), n.Node, stdout.String())
		}
	}
}

func TestACancelledFleetRunLeavesNothing(t *testing.T) {
	conn := connect(t)
	o := options(t, conn, "docker/runc", "--phases", "start-latency", "--samples", "500", "--precision", "0", "--min-samples", "500")
	o.RunID = "fc" + time.Now().Format("150405")
	hostDirExisted := exists(HostDir)
	before := ledger(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancelled once the harness runs on the node: its ledger entry is
	// there, so the pod's trap and the harness's own clean-up are what is
	// tested, not only the API's deletes.
	go func() {
		wctx, wcancel := context.WithTimeout(ctx, 5*time.Minute)
		defer wcancel()
		_ = wait.PollUntilContextCancel(wctx, 100*time.Millisecond, true, func(context.Context) (bool, error) {
			return nodeHarnessRuns(o.RunID), nil
		})
		t.Log("the harness runs on the node: cancelling")
		cancel()
	}()
	set, err := Run(ctx, o)
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Run cancelled = %v; want an interrupted run", err)
	}
	if set == nil || !set.Interrupted {
		t.Fatalf("the set of a cancelled run is not marked interrupted: %+v", set)
	}
	nothingLeft(t, conn, set.RunID, hostDirExisted)
	for _, e := range ledger(t) {
		if !slices.Contains(before, e) && harnessEntry(e, o.RunID) {
			t.Errorf("the node's harness left its run in the ledger: %s", e)
		}
	}
}

// nodeHarnessRuns reports whether the node's harness of the fleet run has
// recorded itself in the ledger (other runs on this host, of other test
// packages, record themselves there too: the entry's process must be the
// binary the fleet run copied to the node).
func nodeHarnessRuns(fleetRun string) bool {
	ents, _ := os.ReadDir(reap.LedgerDir())
	for _, e := range ents {
		if harnessEntry(e.Name(), fleetRun) {
			return true
		}
	}
	return false
}

// harnessEntry reports whether the ledger file name is a run whose process
// runs from the fleet run's directory on the node.
func harnessEntry(name, fleetRun string) bool {
	if !strings.HasSuffix(name, ".json") {
		return false
	}
	le, err := reap.ReadLedger(filepath.Join(reap.LedgerDir(), name))
	if err != nil || le.PID <= 0 {
		return false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", le.PID))
	return err == nil && strings.HasPrefix(exe, filepath.Join(HostDir, fleetRun)+"/")
}

// ledger lists the measurement runs recorded on this host.
func ledger(t *testing.T) []string {
	ents, err := os.ReadDir(reap.LedgerDir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read the ledger: %v", err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestBadOptionsAreRefusedBeforeAnythingIsMade(t *testing.T) {
	conn := connect(t)
	cases := []struct {
		name string
		o    Options
	}{
		{"bad selector", Options{Conn: conn, Selector: "a in (", Timeout: time.Minute}},
		{"no such node", Options{Conn: conn, Nodes: []string{"no-such-node"}, Timeout: time.Minute}},
		{"no timeout", Options{Conn: conn}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := Run(ctx, c.o)
			if !errors.Is(err, ErrUsage) {
				t.Fatalf("Run = %v; want a usage error", err)
			}
		})
	}
}
