package drivertest

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agentic-eval/agentic-eval/probe"
)

func TestProbeIsBuiltOnceAndRunsReady(t *testing.T) {
	p := Probe(t)
	if again := Probe(t); again != p {
		t.Errorf("second Probe = %q, want the first build %q", again, p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var a Attached
	defer a.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a.Attach(out, in)
	ready, err := a.Stream().Ready(ctx)
	if err != nil || ready.PID != cmd.Process.Pid {
		t.Errorf("ready = %+v, %v; want the pid %d", ready, err, cmd.Process.Pid)
	}
	if m, err := a.Stream().Request(ctx, "exit"); err != nil || m.Verb != probe.VerbBye {
		t.Errorf("exit: %+v, %v", m, err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("probe exit: %v", err)
	}
	if a.Calls() != 1 {
		t.Errorf("Calls = %d, want 1", a.Calls())
	}
	AssertProcessesGone(t, []int{cmd.Process.Pid})
}

func TestExecOKPidReadsTheProbesLineAmongNoise(t *testing.T) {
	out := []byte("kernel noise\nAEPROBE exec-ok pid=13\n")
	if got := ExecOKPid(t, out); got != 13 {
		t.Errorf("ExecOKPid = %d, want 13", got)
	}
}

// recorder records what AssertProcessesGone reports instead of failing.
type recorder struct {
	testing.TB
	n int
}

func (e *recorder) Helper()               {}
func (e *recorder) Errorf(string, ...any) { e.n++ }

func TestAssertProcessesGoneFlagsARunningProcessButNotAZombie(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep to run: %v", err)
	}
	pid := cmd.Process.Pid
	defer cmd.Wait()
	defer cmd.Process.Kill()

	running := &recorder{TB: t}
	AssertProcessesGone(running, []int{pid})
	if running.n != 1 {
		t.Errorf("a running process: %d errors, want 1", running.n)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// Wait for its death without reaping it (WNOWAIT): a zombie.
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatalf("waitid: %v", err)
	}
	zombie := &recorder{TB: t}
	AssertProcessesGone(zombie, []int{pid})
	cmd.Wait()
	gone := &recorder{TB: t}
	AssertProcessesGone(gone, []int{pid, 1 << 30})
	if zombie.n != 0 || gone.n != 0 {
		t.Errorf("a killed process: %d errors as a zombie, %d once reaped; want none", zombie.n, gone.n)
	}
}
