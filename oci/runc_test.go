package oci

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// probe is the host path of the static probe, or "" with skipProbe saying
// why there is none.
var probe, skipProbe string

func TestMain(m *testing.M) {
	var cleanup func()
	probe, skipProbe, cleanup = buildProbe()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// buildProbe returns $AGENTIC_EVAL_PROBE, or builds ./cmd/sandbox-probe
// (static) into a temporary directory.
func buildProbe() (path, skip string, cleanup func()) {
	cleanup = func() {}
	if p := os.Getenv("AGENTIC_EVAL_PROBE"); p != "" {
		return p, "", cleanup
	}
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Sprintf("find module root: %v", err), cleanup
	}
	src := filepath.Join(strings.TrimSpace(string(root)), "cmd", "sandbox-probe")
	if _, err := os.Stat(src); err != nil {
		return "", fmt.Sprintf("no probe source: %v (set AGENTIC_EVAL_PROBE to a built probe)", err), cleanup
	}
	dir, err := os.MkdirTemp("", "ae-oci-probe-")
	if err != nil {
		return "", err.Error(), cleanup
	}
	cleanup = func() { os.RemoveAll(dir) }
	path = filepath.Join(dir, "sandbox-probe")
	cmd := exec.Command("go", "build", "-o", path, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Sprintf("build probe: %v: %s", err, out), cleanup
	}
	return path, "", cleanup
}

// runProbe runs bundle with the real runc in the foreground, reads the
// probe's ready line and asks it to exit.
func runProbe(t *testing.T, runc, root, bundle, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	t.Cleanup(func() {
		exec.Command(runc, "--root", root, "delete", "--force", id).Run()
	})
	cmd := exec.CommandContext(ctx, runc, "--root", root, "run", "--bundle", bundle, id)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	line, err := r.ReadString('\n')
	if !strings.HasPrefix(line, "AEPROBE ready pid=1") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("first line %q (%v), want the probe's ready line as pid 1; stderr: %s", line, err, stderr.String())
	}
	io.WriteString(stdin, "exit\n")
	rest, _ := io.ReadAll(r)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("runc run: %v; stderr: %s", err, stderr.String())
	}
	if !strings.Contains(string(rest), "AEPROBE bye") {
		t.Errorf("after exit the probe said %q, want its bye", rest)
	}
}

func needRunc(t *testing.T) string {
	t.Helper()
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Skip("runc not found on PATH: apt-get install runc")
	}
	if os.Geteuid() != 0 {
		t.Skip("runc needs root to create namespaces and cgroups; run the tests as root")
	}
	if probe == "" {
		t.Skip(skipProbe)
	}
	return runc
}

// TestRuncRunsBundlesSharingOneRootfs: two configs pointing at one
// read-only rootfs (absolute root.path) both run.
func TestRuncRunsBundlesSharingOneRootfs(t *testing.T) {
	runc := needRunc(t)
	tmp := t.TempDir()
	shared := filepath.Join(tmp, "shared-rootfs")
	if err := WriteRootfs(shared, Options{ID: "shared", Probe: probe, ReadonlyRootfs: true}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		id := fmt.Sprintf("ae-ocitest-%d-shared-%d", os.Getpid(), i)
		bundle := filepath.Join(tmp, id)
		if err := os.Mkdir(bundle, 0o755); err != nil {
			t.Fatal(err)
		}
		s, err := WriteConfig(bundle, shared, Options{ID: id, Probe: probe, ReadonlyRootfs: true})
		if err != nil {
			t.Fatal(err)
		}
		if s.Root.Path != shared || s.Hostname != id {
			t.Fatalf("root %q hostname %q", s.Root.Path, s.Hostname)
		}
		runProbe(t, runc, filepath.Join(tmp, "state"), bundle, id)
	}
}

// TestRuncRunsTheBundle validates a written bundle with the real runc: the
// probe starts as the container's init, says it is ready, and exits 0 when
// asked to.
func TestRuncRunsTheBundle(t *testing.T) {
	runc := needRunc(t)
	for _, ro := range []bool{true, false} {
		t.Run(fmt.Sprintf("readonly=%v", ro), func(t *testing.T) {
			tmp := t.TempDir()
			bundle := filepath.Join(tmp, "bundle")
			id := fmt.Sprintf("ae-ocitest-%d-%v", os.Getpid(), ro)
			if _, err := WriteBundle(bundle, Options{ID: id, Probe: probe, ReadonlyRootfs: ro}); err != nil {
				t.Fatal(err)
			}
			runProbe(t, runc, filepath.Join(tmp, "state"), bundle, id)
		})
	}
}
