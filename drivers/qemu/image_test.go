package qemu

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/image"
	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/probe"
)

// needImage skips with the reason when the sandbox image or the guest
// modules are missing, and returns the image as the harness passes it.
func needImage(t *testing.T) driver.Image {
	t.Helper()
	img, err := findImage()
	if err != nil {
		t.Skip(err)
	}
	return img
}

// findImage is the sandbox image as the harness passes it, or why a guest
// cannot run it here.
func findImage() (driver.Image, error) {
	img, err := image.Find(image.CacheDir())
	if err != nil {
		return driver.Image{}, fmt.Errorf("no sandbox image: %w", err)
	}
	kernel, err := findKernel()
	if err != nil {
		return driver.Image{}, fmt.Errorf("no guest kernel: %w", err)
	}
	if _, err := findModules(kernel); err != nil {
		return driver.Image{}, fmt.Errorf("no guest modules: %w", err)
	}
	return driver.Image{Key: img.Key, Rootfs: img.Rootfs, Tar: img.Tar, TarBytes: img.TarBytes, RootfsBytes: img.RootfsBytes}, nil
}

func preparedOnImage(t *testing.T, d *Driver, img driver.Image) driver.RunEnv {
	t.Helper()
	// Not t.TempDir(): a long test name would make the sockets' paths
	// longer than a unix socket's may be.
	dir, err := os.MkdirTemp("", "aeq")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	env := driver.RunEnv{RunID: drivertest.NewRunID(t), Probe: drivertest.Probe(t), Dir: dir, Image: img}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := d.Prepare(ctx, env); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return env
}

func startOnImage(t *testing.T, ctx context.Context, d *Driver, env driver.RunEnv) *guest {
	t.Helper()
	g := &guest{}
	g.spec = newSpec(t, env, g)
	g.spec.Image = env.Image
	sb, err := d.Start(ctx, g.spec)
	if err != nil {
		t.Fatal(err)
	}
	g.sb = sb
	destroyAtEnd(t, g)
	if _, err := g.stream.Ready(ctx); err != nil {
		t.Fatalf("%s: %v", g.spec.ID, err)
	}
	return g
}

func runPython(t *testing.T, ctx context.Context, g *guest, code string) probe.RunResult {
	t.Helper()
	var res probe.RunResult
	req := probe.RunRequest{V: probe.AgentVersion, Argv: []string{"python3", "-c", code}, Dir: "/work", TimeoutMS: 60_000}
	if err := g.stream.Call(ctx, probe.ReqRun, req, &res); err != nil {
		t.Fatalf("%s: run: %v", g.spec.ID, err)
	}
	return res
}

// TestGuestOnTheImageRunsPythonAndExecsThroughTheGuestAgent boots the
// image's disk, runs numpy through the probe on the agent port and the
// probe again through qemu-ga's guest-exec, and finds the root read-only
// and /work writable.
func TestGuestOnTheImageRunsPythonAndExecsThroughTheGuestAgent(t *testing.T) {
	d := NewTCG()
	needQEMU(t, d)
	img := needImage(t)
	env := preparedOnImage(t, d, img)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	g := startOnImage(t, ctx, d, env)

	res := runPython(t, ctx, g, "import numpy; print(int(numpy.arange(10).sum()))")
	if res.Exit != 0 || strings.TrimSpace(string(res.Stdout)) != "45" {
		t.Errorf("numpy in the guest: exit %d, stdout %q, stderr %q, error %q", res.Exit, res.Stdout, res.Stderr, res.Error)
	}
	res = runPython(t, ctx, g, "open('/work/x','w').write('y'); open('/etc/x','w')")
	if res.Exit == 0 || !strings.Contains(string(res.Stderr), "Read-only file system") {
		t.Errorf("writing / in the guest: exit %d, stderr %q: want a read-only root", res.Exit, res.Stderr)
	}

	ex, ok := g.sb.(driver.Execer)
	if !ok {
		t.Fatal("a sandbox on the image is no measure.Execer")
	}
	out, err := ex.Exec(ctx, probe.ExecFlag)
	if err != nil {
		t.Fatalf("exec through the guest agent: %v", err)
	}
	drivertest.ExecOKPid(t, out)
	req, _ := json.Marshal(probe.RunRequest{V: probe.AgentVersion, Argv: []string{"python3", "-c", "print(6*7)"}, TimeoutMS: 60_000})
	out, err = ex.Exec(ctx, probe.RunFlag, string(req))
	if err != nil {
		t.Fatalf("run through the guest agent: %v", err)
	}
	var rr probe.RunResult
	if err := probe.DecodeRunOutput(out, &rr); err != nil || strings.TrimSpace(string(rr.Stdout)) != "42" {
		t.Errorf("run through the guest agent: %+v, %v", rr, err)
	}
	short, cancelShort := context.WithTimeout(ctx, time.Millisecond)
	defer cancelShort()
	if _, err := ex.Exec(short, probe.ExecFlag); err == nil {
		t.Error("an exec whose context had ended succeeded")
	}
	// The agent still answers after an exec cut short.
	if out, err := ex.Exec(ctx, probe.ExecFlag); err != nil {
		t.Errorf("exec after one cut short: %v", err)
	} else {
		drivertest.ExecOKPid(t, out)
	}
	if err := g.sb.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ex.Exec(ctx, probe.ExecFlag); err == nil || !strings.Contains(err.Error(), g.spec.ID) {
		t.Errorf("exec after Destroy: %v, want an error naming the sandbox", err)
	}
	assertNothingLeft(t, d, env, g.spec.Dir)
}

// TestGuestOnTheImageSnapshotsAndRestoresTwice primes an interpreter in a
// guest on the image, snapshots it with its disk attached and restores it
// twice at once: each restore holds the value and still execs.
func TestGuestOnTheImageSnapshotsAndRestoresTwice(t *testing.T) {
	d := NewTCG()
	needQEMU(t, d)
	img := needImage(t)
	env := preparedOnImage(t, d, img)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	g := startOnImage(t, ctx, d, env)
	var started probe.SessionReply
	if err := g.stream.Call(ctx, probe.ReqSessionStart, probe.SessionStart{V: probe.AgentVersion, Argv: []string{"python3", "-u", "-c",
		"import sys\nfor l in sys.stdin: exec(l)"}, Dir: "/work"}, &started); err != nil || started.Error != "" {
		t.Fatalf("session start: %v %q", err, started.Error)
	}
	var rep probe.SessionReply
	if err := g.stream.Call(ctx, probe.ReqSessionSend, probe.SessionSend{V: probe.AgentVersion, Line: "import numpy; v = 12345; print(v)", TimeoutMS: 60_000}, &rep); err != nil || rep.Line != "12345" {
		t.Fatalf("prime: %v %+v", err, rep)
	}
	dir := filepath.Join(env.Dir, g.spec.ID+"-snapshot")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	snap, err := g.sb.(driver.Snapshotter).Snapshot(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.sb.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		r := restore(t, ctx, d, env, snap)
		if err := r.stream.Call(ctx, probe.ReqSessionSend, probe.SessionSend{V: probe.AgentVersion, Line: "print(v, 'numpy' in sys.modules)", TimeoutMS: 60_000}, &rep); err != nil || rep.Line != "12345 True" {
			t.Errorf("restore %d: %v %+v", i, err, rep)
		}
		ex, ok := r.sb.(driver.Execer)
		if !ok {
			t.Fatalf("restore %d on the image is no measure.Execer", i)
		}
		out, err := ex.Exec(ctx, probe.ExecFlag)
		if err != nil {
			t.Errorf("restore %d: exec: %v", i, err)
		} else {
			drivertest.ExecOKPid(t, out)
		}
	}
}
