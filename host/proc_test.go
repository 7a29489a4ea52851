package host

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseStatFindsParentEvenWithAnOddCommand(t *testing.T) {
	for _, c := range []struct {
		file string
		want Stat
	}{
		{"stat-sleep.txt", Stat{PID: 13372, Comm: "sleep", State: 'S', PPID: 13369, StartTime: 46053}},
		{"stat-pid1.txt", Stat{PID: 1, Comm: "process_api", State: 'S', PPID: 0, StartTime: 25}},
		{"stat-kthreadd.txt", Stat{PID: 2, Comm: "kthreadd", State: 'S', PPID: 0, StartTime: 25}},
		{"stat-odd-comm.txt", Stat{PID: 13485, Comm: "we) ird (1", State: 'S', PPID: 1, StartTime: 46282}},
	} {
		t.Run(c.file, func(t *testing.T) {
			got, err := ParseStat(string(readTestdata(t, c.file)))
			if err != nil || got != c.want {
				t.Errorf("got %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
	if _, err := ParseStat("12 (cut short"); err == nil {
		t.Errorf("truncated stat parsed")
	}
}

func TestDescendantsWalkEachTreeOnceAndOnlyIt(t *testing.T) {
	parent := map[int]int{1: 0, 10: 1, 11: 10, 12: 10, 13: 11, 20: 1, 21: 20}
	for _, c := range []struct {
		roots []int
		want  []int
	}{
		{[]int{10}, []int{10, 11, 12, 13}},
		{[]int{13}, []int{13}},
		{[]int{20, 10}, []int{20, 10, 21, 11, 12, 13}},
		{[]int{10, 11}, []int{10, 11, 12, 13}},
		{[]int{99}, []int{99}}, // a root the scan missed is kept
	} {
		if got := Descendants(parent, c.roots...); !slices.Equal(got, c.want) {
			t.Errorf("Descendants(%v) = %v, want %v", c.roots, got, c.want)
		}
	}
}

func TestArgNamesAnIDNeverItsLongerNeighbour(t *testing.T) {
	for _, c := range []struct {
		args   []string
		id     string
		prefix bool
		want   bool
	}{
		{[]string{"/sandbox-probe", "--sandbox=ae-x-000001"}, "ae-x-000001", false, true},
		{[]string{"runsc", "--root=/r", "boot", "ae-x-1"}, "ae-x-1", false, true},
		{[]string{"runsc", "boot", "ae-x-10"}, "ae-x-1", false, false},
		{[]string{"runsc", "gofer", "--bundle=/tmp/ae-x_1/ae-x-1/bundle"}, "ae-x-1", false, true},
		{[]string{"runsc", "gofer", "--bundle=/tmp/ae-x_1/ae-x-10/bundle"}, "ae-x-1", false, false},
		{[]string{"qemu", "-name", "ae-x-10"}, "ae-x", true, true},
		{[]string{"qemu", "-name", "ae-y-10"}, "ae-x", true, false},
		{[]string{"sh"}, "", true, false},
	} {
		if got := ArgNames(c.args, c.id, c.prefix); got != c.want {
			t.Errorf("ArgNames(%q, %q, %v) = %v, want %v", c.args, c.id, c.prefix, got, c.want)
		}
	}
}

// TestScanFindsATreeAndKillTreeEndsIt runs a shell with two sleeps under it
// (one in a subshell), finds the whole tree in one scan, kills it and
// finds nothing alive.
func TestScanFindsATreeAndKillTreeEndsIt(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 1000 & (sleep 1000 & wait) & wait")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sh to run: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	root := cmd.Process.Pid
	var tree []int
	deadline := time.Now().Add(10 * time.Second)
	for {
		ps, err := ScanProcesses()
		if err != nil {
			t.Fatal(err)
		}
		tree = ps.Descendants(root)
		sleeps := 0
		for _, pid := range tree[1:] {
			if ps[pid].Comm == "sleep" {
				sleeps++
			}
		}
		if len(tree) == 4 && sleeps == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tree %v: want the shell, a subshell and two sleeps", tree)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if tree[0] != root || slices.Contains(tree, os.Getpid()) {
		t.Errorf("tree %v: want its root %d first and not the test process", tree, root)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := KillTree(ctx, root); err != nil {
		t.Fatal(err)
	}
	<-done
	// KillTree returns once the roots are gone; the SIGKILLed descendants
	// end when the kernel next runs them, which on a busy machine may be a
	// moment later. The deadline guards against a hang, it times nothing.
	for _, pid := range tree {
		for deadline := time.Now().Add(10 * time.Second); Alive(pid); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
				t.Errorf("process %d (%s) still alive", pid, strings.ReplaceAll(string(b), "\x00", " "))
				break
			}
		}
	}
}
