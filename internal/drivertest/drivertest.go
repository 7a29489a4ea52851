package drivertest

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/probe"
	"github.com/agentic-eval/agentic-eval/probebin"
)

var probeOnce struct {
	sync.Once
	path string
	err  error
}

// Probe returns the host path of the static probe (probebin.Build:
// $AGENTIC_EVAL_PROBE, or a cached static build of cmd/sandbox-probe),
// built once per test binary. A probe that does not build fails t.
func Probe(t testing.TB) string {
	t.Helper()
	probeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		probeOnce.path, probeOnce.err = probebin.Build(ctx)
	})
	if probeOnce.err != nil {
		t.Fatalf("no probe binary: %v", probeOnce.err)
	}
	return probeOnce.path
}

// Attached is the harness's side of one sandbox's probe: its Attach method
// is a Spec's Attach, and opens a probe.Stream on the streams the driver
// hands over. It counts the calls (a driver calls Attach exactly once).
type Attached struct {
	mu     sync.Mutex
	calls  int
	stream *probe.Stream
}

// Attach is measure.Spec's Attach.
func (a *Attached) Attach(out io.Reader, in io.Writer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	a.stream = probe.NewStream(out, in)
}

// Stream is the stream the last Attach opened, nil before any.
func (a *Attached) Stream() *probe.Stream {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stream
}

// Calls is how many times Attach was called.
func (a *Attached) Calls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls
}

// Close closes the stream, if Attach opened one.
func (a *Attached) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stream != nil {
		a.stream.Close()
	}
}

// StartReady starts spec's sandbox with d, destroys it when the test ends
// (after the test's own Destroy, which that must survive), waits on a's
// stream for the probe's ready line, and returns the sandbox, that line and
// the sandbox's host pids. spec.Attach must be a.Attach.
func StartReady(ctx context.Context, t testing.TB, d driver.Driver, a *Attached, spec driver.Spec) (driver.Sandbox, probe.Msg, []int) {
	t.Helper()
	sb, err := d.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		sb.Destroy(ctx)
	})
	ready, err := a.Stream().Ready(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pids, err := sb.HostPIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return sb, ready, pids
}

// ExecOKPid returns the pid of the probe's exec-ok line in the output of
// an exec of the probe, and fails t when there is none.
func ExecOKPid(t testing.TB, out []byte) int {
	t.Helper()
	for _, line := range strings.Split(string(out), "\n") {
		m, ok := probe.Parse(line)
		if !ok || m.Verb != probe.VerbExecOK {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimPrefix(m.Payload, "pid="))
		if err != nil {
			t.Fatalf("exec-ok line %q has no pid", line)
		}
		return pid
	}
	t.Fatalf("no %s line in the exec's output %q", probe.VerbExecOK, out)
	return 0
}

// AssertProcessesGone checks that none of pids runs any more. A killed
// process its parent has not reaped yet is a zombie: it holds no memory
// and no cgroup, so it counts as gone.
func AssertProcessesGone(t testing.TB, pids []int) {
	t.Helper()
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // gone
		}
		if st, err := host.ParseStat(string(b)); err == nil && st.State == 'Z' {
			continue
		}
		t.Errorf("process %d still runs: %s", pid, b)
	}
}
