package k8s

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/agentic-eval/agentic-eval/internal/kubetest"
)

// buildCLI builds the agentic-eval command into a temporary directory.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "agentic-eval")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/agentic-eval/agentic-eval/cmd/agentic-eval")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var runLine = regexp.MustCompile(`^run ([0-9a-f]+):`)

// startMeasure starts `vms measure k8s/runc` with args and returns the
// process and its run id, read from its first line on stderr.
func startMeasure(t *testing.T, bin string, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"vms", "measure", "k8s/runc", "--out", filepath.Join(t.TempDir(), "r.json")}, args...)...)
	var errb bytes.Buffer
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ids := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			errb.WriteString(sc.Text() + "\n")
			if m := runLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case ids <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case id := <-ids:
		return cmd, id, &errb
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("the run announced no id; stderr:\n%s", errb.String())
	}
	return nil, "", nil
}

// waitPod waits until the run's namespace holds a pod.
func waitPod(t *testing.T, runID string) {
	t.Helper()
	conn, err := Connect()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		pods, err := conn.Client.CoreV1().Pods(namespaceOf(runID)).List(context.Background(), metav1.ListOptions{})
		if err == nil && len(pods.Items) > 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("run %s made no pod in 2 minutes", runID)
}

func assertRunGone(t *testing.T, runID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := New(Runc)
	left, err := d.Leftovers(ctx, "ae-"+runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("run %s left: %s", runID, strings.Join(left, "; "))
	}
}

// A run through Kubernetes killed with SIGKILL, which it cannot catch,
// leaves its namespace, pods and images; the next `vms reap` finds the
// dead run in the ledger and removes all of it. A run interrupted with
// SIGINT removes everything itself before it exits.
func TestAKilledOrInterruptedRunLeavesNothing(t *testing.T) {
	kubetest.Skip(t)
	if fp := New(Runc).Fingerprint(context.Background()); !fp.Available {
		t.Skipf("k8s/runc unavailable: %s", fp.Reason)
	}
	bin := buildCLI(t)
	os.Setenv(KubeconfigEnv, kubetest.Kubeconfig)

	t.Run("SIGKILL, then vms reap", func(t *testing.T) {
		cmd, id, errb := startMeasure(t, bin, "--phases", "start-latency", "--samples", "200", "--phase-budget", "10m")
		waitPod(t, id)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		sw := exec.Command(bin, "vms", "reap")
		out, err := sw.CombinedOutput()
		if err != nil {
			t.Fatalf("vms reap: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), id) {
			t.Errorf("vms reap did not name the killed run %s:\n%s\n(the run's stderr:\n%s)", id, out, errb)
		}
		assertRunGone(t, id)
	})
	t.Run("SIGINT", func(t *testing.T) {
		cmd, id, errb := startMeasure(t, bin, "--phases", "start-latency", "--samples", "200", "--phase-budget", "10m")
		waitPod(t, id)
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(3 * time.Minute):
			cmd.Process.Kill()
			t.Fatalf("the interrupted run did not exit in 3 minutes; stderr:\n%s", errb)
		}
		assertRunGone(t, id)
	})
}
