package memstat

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/host"
)

// These tests read the real /proc and cgroup tree of the machine they run on.

func TestReadMeminfoOnThisHost(t *testing.T) {
	m, err := ReadMeminfo()
	if err != nil {
		t.Fatal(err)
	}
	if m.MemTotal == 0 || !m.Has("MemAvailable") || m.MemAvailable > m.MemTotal {
		t.Errorf("MemTotal %d MemAvailable %d", m.MemTotal, m.MemAvailable)
	}
	t.Logf("MemTotal %d MiB, MemAvailable %d MiB", m.MemTotal>>20, m.MemAvailable>>20)
}

// startSleeper starts a sleep in its own process group and arranges for the
// group to be killed and reaped when the test ends.
func startSleeper(t *testing.T, script string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %q: %v", script, err)
	}
	t.Cleanup(func() {
		stop(cmd)
		cancel()
	})
	return cmd
}

// stop kills cmd's process group and reaps cmd; it is idempotent.
func stop(cmd *exec.Cmd) {
	if cmd.ProcessState != nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
}

// eventually polls cond until it holds or a generous deadline passes; the
// deadline guards against a hang, it is not a performance assertion.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never happened; last state: %s", what, last)
}

func TestPSSOfALiveProcessThenOfAGoneOne(t *testing.T) {
	cmd := startSleeper(t, "exec sleep 1000")
	pid := cmd.Process.Pid
	pss, err := PSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReadSmapsRollup(pid)
	if err != nil {
		t.Fatal(err)
	}
	if pss == 0 || pss > r.Rss {
		t.Errorf("PSS %d of a live sleep: want > 0 and <= its Rss %d", pss, r.Rss)
	}
	t.Logf("idle sleep: PSS %d KiB, Rss %d KiB", pss>>10, r.Rss>>10)

	stop(cmd)
	_, err = PSS(pid)
	if !errors.Is(err, ErrProcessGone) {
		t.Errorf("PSS of reaped pid %d: err = %v, want ErrProcessGone", pid, err)
	}
	if _, err := ReadSmapsRollup(pid); !errors.Is(err, ErrProcessGone) {
		t.Errorf("ReadSmapsRollup of reaped pid: err = %v, want ErrProcessGone", err)
	}
}

func TestSumPSSCountsEachLiveProcessOnceAndListsTheGone(t *testing.T) {
	a := startSleeper(t, "exec sleep 1000").Process.Pid
	b := startSleeper(t, "exec sleep 1000").Process.Pid
	dead := startSleeper(t, "exit 0")
	deadPID := dead.Process.Pid
	_ = dead.Wait()

	s, err := SumPSS([]int{a, b, a, deadPID})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.PerPID) != 2 || s.PerPID[a] == 0 || s.PerPID[b] == 0 {
		t.Errorf("PerPID = %v, want the two live sleeps", s.PerPID)
	}
	if s.Bytes != s.PerPID[a]+s.PerPID[b] {
		t.Errorf("Bytes %d != %d + %d", s.Bytes, s.PerPID[a], s.PerPID[b])
	}
	if !slices.Equal(s.Gone, []int{deadPID}) {
		t.Errorf("Gone = %v, want [%d]", s.Gone, deadPID)
	}
}

func TestFindMemoryCgroupOfThisProcess(t *testing.T) {
	dir, err := FindMemoryCgroup(os.Getpid())
	if err != nil {
		t.Skipf("this host gives the test process no memory cgroup: %v", err)
	}
	c, err := ReadCgroupMemory(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir != dir || c.Charged == 0 || len(c.Stat) == 0 {
		t.Errorf("cgroup of the test process: %+v", c)
	}
	t.Logf("test process's memory cgroup %s (v%d): charged %d KiB, anon %d KiB, file %d KiB, kernel %d KiB",
		dir, c.Version, c.Charged>>10, c.Anon>>10, c.File>>10, c.Kernel>>10)
}

func TestFindMemoryCgroupOfARootProcessIsNone(t *testing.T) {
	// pid 1 usually sits in the root cgroup of every hierarchy; the test
	// decides from its /proc/1/cgroup whether it does here.
	data, err := os.ReadFile("/proc/1/cgroup")
	if err != nil {
		t.Skipf("cannot read pid 1's cgroups: %v", err)
	}
	mounts, err := host.ReadMountinfo()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := MemoryCgroupDir(data, mounts); !errors.Is(err, ErrRootCgroup) {
		t.Skipf("pid 1 is not in the root memory cgroup here (%v): %s", err, data)
	}
	dir, err := FindMemoryCgroup(1)
	if dir != "" || !errors.Is(err, ErrRootCgroup) {
		t.Errorf("FindMemoryCgroup(1) = %q, %v; want \"\" and ErrRootCgroup", dir, err)
	}
}

func TestReadCgroupMemoryOfAPlainDirectoryIsAnError(t *testing.T) {
	if _, err := ReadCgroupMemory(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a memory cgroup") {
		t.Errorf("err = %v", err)
	}
}

// ownMemoryCgroupOrRoot is the test process's memory cgroup, or the root
// of its hierarchy when it runs in that root, and the hierarchy's version.
func ownMemoryCgroupOrRoot(t *testing.T) (dir string, version int, err error) {
	t.Helper()
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", 0, err
	}
	mounts, err := host.ReadMountinfo()
	if err != nil {
		return "", 0, err
	}
	dir, version, err = MemoryCgroupDir(data, mounts)
	if errors.Is(err, ErrRootCgroup) {
		err = nil
	}
	return dir, version, err
}

// newMemoryCgroup creates a child memory cgroup of the test process's own
// (v1), or of the v2 root when it delegates the memory controller, and
// removes it when the test ends. Which one follows the hierarchy this
// host mounts (v1 or hybrid: the v1 memory hierarchy; v2 only: cgroup2),
// not whether the test process sits in a root cgroup.
func newMemoryCgroup(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("creating a cgroup needs root")
	}
	own, version, err := ownMemoryCgroupOrRoot(t)
	if err != nil {
		t.Skipf("no memory cgroup to create a child in: %v", err)
	}
	parent := own
	if version == 2 {
		// v2: a cgroup with processes cannot have children with controllers
		// enabled; the hierarchy's root can, if it delegates memory.
		mounts, err := host.ReadMountinfo()
		if err != nil {
			t.Fatal(err)
		}
		v2 := host.CgroupModeOf(mounts).V2Mount
		sub, _ := os.ReadFile(filepath.Join(v2, "cgroup.subtree_control"))
		if !slices.Contains(strings.Fields(string(sub)), "memory") {
			t.Skipf("cgroup v2 root %s does not enable the memory controller for its children", v2)
		}
		parent = v2
	}
	dir := filepath.Join(parent, fmt.Sprintf("ae-memstat-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot create a memory cgroup here: %v", err)
	}
	t.Cleanup(func() {
		deadline := time.Now().Add(30 * time.Second)
		for {
			err := os.Remove(dir)
			if err == nil || errors.Is(err, os.ErrNotExist) {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("remove cgroup %s: %v", dir, err)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	return dir
}

func TestCgroupMemoryChargesAProcessStartedInIt(t *testing.T) {
	dir := newMemoryCgroup(t)
	cmd := startSleeper(t, fmt.Sprintf("echo $$ > %s/cgroup.procs && exec sleep 1000", dir))
	pid := cmd.Process.Pid
	eventually(t, "sleep running in the new cgroup", func() (bool, string) {
		found, err := FindMemoryCgroup(pid)
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		return err == nil && found == dir && strings.TrimSpace(string(comm)) == "sleep",
			fmt.Sprintf("cgroup %q (%v), comm %q", found, err, comm)
	})
	c, err := ReadCgroupMemory(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Only the charge is sure to show at once: the kernel updates
	// memory.stat lazily, and a cgroup this small may still read anon 0.
	if c.Charged == 0 {
		t.Errorf("a cgroup holding a running sleep is charged nothing: %+v", c)
	}
	t.Logf("cgroup holding one idle sleep (v%d): charged %d KiB, anon %d KiB, file %d KiB, kernel %d KiB",
		c.Version, c.Charged>>10, c.Anon>>10, c.File>>10, c.Kernel>>10)
	stop(cmd)
}

func TestDropCaches(t *testing.T) {
	err := DropCaches()
	if os.Geteuid() != 0 {
		if err == nil || !strings.Contains(err.Error(), "needs root") {
			t.Errorf("not root: err = %v, want one saying root is needed", err)
		}
		return
	}
	if err != nil {
		t.Errorf("as root: %v", err)
	}
}
