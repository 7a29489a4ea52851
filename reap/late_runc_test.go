package reap_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/drivers/runc"
	"github.com/agentic-eval/agentic-eval/reap"
)

// TestReapFindsWhatAKilledRunsRuntimeCreatesAfterTheFirstListing records
// a run that died (its PID is not a process), lets the reap make its first
// listing through the real runc driver, then starts a process named with
// the dead run's prefix, as a runtime finishing a dead client's request
// would: the reap must keep watching, find it, remove it, and only then
// remove the run's record.
func TestReapFindsWhatAKilledRunsRuntimeCreatesAfterTheFirstListing(t *testing.T) {
	d := runc.New()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if fp := d.Fingerprint(ctx); !fp.Available {
		t.Skipf("runc unavailable here: %s (fix: %s)", fp.Reason, fp.Fix)
	}
	dir := t.TempDir()
	const run = "0dead0e1"
	b, err := json.Marshal(reap.LedgerEntry{RunID: run, PID: 1 << 30, ProcStart: 1, Started: time.Now(), Drivers: []string{d.Variant()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, run+".json"), b, 0o600); err != nil {
		t.Fatal(err)
	}

	watching := make(chan struct{}, 1)
	late := make(chan *exec.Cmd, 1)
	go func() {
		<-watching
		// The late object: a process whose command line names a sandbox of
		// the dead run, as the probe's does.
		cmd := exec.Command("sh", "-c", "sleep 300; exit 0", "ae-"+run+"-000001")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Errorf("start the late process: %v", err)
		}
		late <- cmd
		go cmd.Wait()
	}()
	opts := reap.Options{
		Timeout: 30 * time.Second,
		Settle:  2 * time.Second,
		Poll:    100 * time.Millisecond,
		MaxWait: time.Minute,
		Log: func(format string, args ...any) {
			select {
			case watching <- struct{}{}:
			default:
			}
		},
	}
	reaped, err := reap.Stale(ctx, dir, []driver.Driver{d}, opts)
	if err != nil {
		t.Fatal(err)
	}
	var cmd *exec.Cmd
	select {
	case cmd = <-late:
	default:
		t.Fatal("the reap never said it was watching the run: the late process was not started")
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	if len(reaped) != 1 {
		t.Fatalf("reaped %+v: want the one dead run", reaped)
	}
	s := reaped[0]
	if len(s.Left) > 0 || s.Unsettled != "" {
		t.Fatalf("the reap left %v (unsettled: %q)", s.Left, s.Unsettled)
	}
	if !strings.Contains(strings.Join(s.Removed, "\n"), "ae-"+run+"-000001") {
		t.Errorf("the late process is not among what the reap removed: %v", s.Removed)
	}
	if err := syscall.Kill(cmd.Process.Pid, 0); err == nil {
		if st, err := os.ReadFile(filepath.Join("/proc", itoa(cmd.Process.Pid), "stat")); err == nil && !strings.Contains(string(st), ") Z ") {
			t.Errorf("the late process %d is still alive after the reap", cmd.Process.Pid)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, run+".json")); !os.IsNotExist(err) {
		t.Errorf("the run's record is still there (%v)", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
