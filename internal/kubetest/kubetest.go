// Package kubetest gives a test package the project's own real
// single-node Kubernetes cluster for its duration: TestMain calls Main,
// which takes the host-wide cluster lock, brings the cluster up with
// scripts/kube-up.sh (from the binaries scripts/setup-kubernetes.sh
// cached), points the k8s drivers at it, runs the tests and tears it down
// with scripts/kube-down.sh, then checks that the host holds nothing of it
// (no process, mount, cgroup, link or state directory) and fails the
// package when it does.
//
// Its opinions: a missing build is a skip with its reason, never a failure
// of the code under test; a cluster somebody already had up is used and
// left up (it is theirs); packages that need the cluster take turns (the
// lock), because two clusters cannot share the node's bridge and ports.
package kubetest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/host"
)

// Dir is the cluster's state directory (scripts/kube-up.sh's default).
const Dir = "/run/agentic-eval/kube"

// Kubeconfig is the cluster's admin kubeconfig.
const Kubeconfig = Dir + "/admin.kubeconfig"

const lockPath = "/run/agentic-eval/kube.lock"

// Bridge is the cluster's node bridge.
const Bridge = "ae-kube0"

// reason is why there is no cluster, "" when there is one.
var reason string

// Skip skips t when the package has no cluster, with the reason.
func Skip(t testing.TB) {
	t.Helper()
	if reason != "" {
		t.Skip(reason)
	}
}

// Available reports whether the package has a cluster.
func Available() bool { return reason == "" }

// Main runs the package's tests against the cluster and returns the exit
// status for os.Exit.
func Main(m *testing.M) int {
	root, err := moduleRoot()
	if err != nil {
		reason = err.Error()
		return m.Run()
	}
	if os.Geteuid() != 0 {
		reason = "not root: the kubelet and containerd need root"
		return m.Run()
	}
	bin := filepath.Join(cacheDir(), "kubernetes", "bin", "kubelet")
	if _, err := os.Stat(bin); err != nil {
		reason = fmt.Sprintf("no Kubernetes build at %s: run scripts/setup-kubernetes.sh (as root)", bin)
		return m.Run()
	}
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o755); err != nil {
		reason = err.Error()
		return m.Run()
	}
	lock, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		reason = fmt.Sprintf("cluster lock %s: %v", lockPath, err)
		return m.Run()
	}
	defer lock.Close()
	if err := flock(lock, 20*time.Minute); err != nil {
		reason = fmt.Sprintf("cluster lock %s: %v", lockPath, err)
		return m.Run()
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	ours := true
	if isUp() {
		ours = false // somebody's cluster: use it, leave it
	}
	if ours {
		if out, err := script(root, "kube-up.sh"); err != nil {
			fmt.Fprintf(os.Stderr, "kubetest: kube-up failed: %v\n%s\n", err, out)
			script(root, "kube-down.sh")
			reason = "" // a failed bring-up is a failure here, not a skip
			return 1
		}
	}
	os.Setenv("AGENTIC_EVAL_KUBECONFIG", Kubeconfig)
	code := m.Run()
	if !ours {
		return code
	}
	if out, err := script(root, "kube-down.sh"); err != nil {
		fmt.Fprintf(os.Stderr, "kubetest: kube-down failed: %v\n%s\n", err, out)
		return 1
	}
	if left := Residue(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "kubetest: the cluster left on the host:\n  %s\n", strings.Join(left, "\n  "))
		return 1
	}
	return code
}

// Residue lists what of the cluster is on the host: its state directory,
// mounts under it, the kubelet's cgroups, its bridge, processes that name
// it.
func Residue() []string {
	var out []string
	if _, err := os.Stat(Dir); err == nil {
		out = append(out, "state directory "+Dir)
	}
	if ms, err := host.ReadMountinfo(); err == nil {
		for _, m := range ms {
			if m.Point == Dir || strings.HasPrefix(m.Point, Dir+"/") {
				out = append(out, "mount "+m.Point)
			}
		}
	} else {
		out = append(out, "mount table unreadable: "+err.Error())
	}
	if cgs := kubeletCgroups(); len(cgs) > 0 {
		out = append(out, "cgroups "+strings.Join(cgs, " "))
	}
	if _, err := os.Stat("/sys/class/net/" + Bridge); err == nil {
		out = append(out, "link "+Bridge)
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		if bytes.Contains(b, []byte(Dir+"/")) {
			out = append(out, fmt.Sprintf("process %s: %s", e.Name(), strings.ReplaceAll(string(bytes.TrimRight(b, "\x00")), "\x00", " ")))
		}
	}
	return out
}

// kubeletCgroups lists the kubelet's pod cgroups in every hierarchy this
// host mounts, whatever their layout (v1, hybrid or v2): kubepods under
// the cgroupfs driver, kubepods.slice under systemd's.
func kubeletCgroups() []string {
	mounts, err := host.ReadMountinfo()
	if err != nil {
		return []string{"mount table unreadable: " + err.Error()}
	}
	var out []string
	for _, m := range host.CgroupMounts(mounts) {
		for _, name := range []string{"kubepods", "kubepods.slice"} {
			if fi, err := os.Stat(filepath.Join(m.Point, name)); err == nil && fi.IsDir() {
				out = append(out, filepath.Join(m.Point, name))
			}
		}
	}
	return out
}

func isUp() bool {
	if _, err := os.Stat(filepath.Join(Dir, "up")); err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	pki := filepath.Join(Dir, "pki")
	cmd := exec.CommandContext(ctx, "curl", "-fsS", "--cacert", pki+"/ca.crt", "--cert", pki+"/admin.crt", "--key", pki+"/admin.key", "https://127.0.0.1:16443/readyz")
	return cmd.Run() == nil
}

func script(root, name string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", name))
	cmd.Dir = root
	return cmd.CombinedOutput()
}

func flock(f *os.File, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if err != syscall.EWOULDBLOCK {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("another package held the cluster for %s", limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func cacheDir() string {
	if c := os.Getenv("AGENTIC_EVAL_CACHE"); c != "" {
		return c
	}
	return "/var/cache/agentic-eval"
}

func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "scripts", "kube-up.sh")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("scripts/kube-up.sh not found above %s", wd)
		}
	}
}
