package residue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agentic-eval/agentic-eval/host"
)

// TestScanFindsWhatARunLeftAndThenNothing creates, under a prefix of its
// own, one of each kind of residue on the real host (a cgroup, two tmpfs
// mounts, a sleeping process, a scratch directory), checks that Scan
// reports each, removes them, and checks that Scan reports nothing.
func TestScanFindsWhatARunLeftAndThenNothing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating cgroups and mounts needs root")
	}
	prefix := fmt.Sprintf("ae-rtest%d-", os.Getpid())

	// A cgroup in the first hierarchy that lets us create one.
	mounts, err := host.ReadMountinfo()
	if err != nil {
		t.Fatal(err)
	}
	var cgroup string
	for _, root := range CgroupRoots(mounts) {
		d := filepath.Join(root, prefix+"cg")
		if err := os.Mkdir(d, 0o755); err == nil {
			cgroup = d
			break
		}
	}
	if cgroup == "" {
		t.Skip("no cgroup hierarchy here accepts a new cgroup")
	}
	t.Cleanup(func() { _ = os.Remove(cgroup) })

	// A tmpfs whose mount point carries the prefix, and one found only
	// because it lies under a directory of the query.
	named := filepath.Join(t.TempDir(), prefix+"mnt")
	under := t.TempDir()
	for _, dir := range []string{named, under} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
			t.Skipf("cannot mount tmpfs here: %v", err)
		}
		t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	}

	// A sleeping process whose argv[0] carries the prefix.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sleeper := exec.CommandContext(ctx, "/bin/sleep", "1000")
	sleeper.Args[0] = prefix + "sleeper"
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	stopSleeper := func() {
		if sleeper.ProcessState == nil {
			_ = sleeper.Process.Kill()
			_ = sleeper.Wait()
		}
	}
	t.Cleanup(stopSleeper)
	// Start returns once the exec is under way, a moment before the kernel
	// publishes the new command line: wait for it (the deadline only
	// guards against a hang).
	for deadline := time.Now().Add(30 * time.Second); ; {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", sleeper.Process.Pid))
		if len(cmdline) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sleeper %d never showed a command line", sleeper.Process.Pid)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// A scratch directory outside the test's temp dir.
	scratch, err := os.MkdirTemp("", prefix+"scratch-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(scratch) })

	q := Query{Prefix: prefix, Dirs: []string{under}, Globs: []string{filepath.Join(os.TempDir(), prefix+"*")}}
	r, err := Scan(q)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("residue while everything exists:\n%s", r)
	want := []string{
		fmt.Sprintf("mount %s (tmpfs tmpfs)", named),
		fmt.Sprintf("mount %s (tmpfs tmpfs)", under),
		"cgroup " + cgroup,
		fmt.Sprintf("process %d %ssleeper 1000", sleeper.Process.Pid, prefix),
		"path " + scratch,
	}
	if got := r.Lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("report lines\n got %q\nwant %q", got, want)
	}

	// Remove it all, as a driver's Sweep would.
	stopSleeper()
	for _, dir := range []string{under, named} {
		if err := unix.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	}
	if err := os.Remove(cgroup); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("remove cgroup: %v", err)
	}
	if err := os.RemoveAll(scratch); err != nil {
		t.Errorf("remove scratch: %v", err)
	}

	r, err = Scan(q)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Empty() || r.String() != "" {
		t.Errorf("after removal the report still lists:\n%s", r)
	}
}

// TestProcessesExcludesTheCaller: the test binary's own command line holds
// the prefix, yet it is not residue of itself.
func TestProcessesExcludesTheCaller(t *testing.T) {
	self, err := os.ReadFile("/proc/self/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	args := host.ParseCmdline(self)
	prefix := filepath.Base(args[0])
	ps, err := Processes(prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.PID == os.Getpid() {
			t.Errorf("Processes(%q) lists the calling process %d", prefix, p.PID)
		}
	}
}
