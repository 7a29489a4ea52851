package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/internal/drivertest"
)

// TestSandboxImageStaysCachedBetweenRuns prepares two runs on the image
// one after the other: both use the one cached image, which outlives each
// run's Close, and neither leaves an image under its own name.
func TestSandboxImageStaysCachedBetweenRuns(t *testing.T) {
	d := engine(t)
	img := sandboxImage(t)
	probeBin := drivertest.Probe(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cli, err := d.client()
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for i := range 2 {
		env := driver.RunEnv{RunID: newRunID(t), Probe: probeBin, Dir: t.TempDir(), Image: img}
		if err := d.Prepare(ctx, env); err != nil {
			t.Fatalf("Prepare of run %d: %v", i+1, err)
		}
		d.mu.Lock()
		refs = append(refs, d.sandboxImage)
		held := d.cacheLock != nil
		d.mu.Unlock()
		if !held {
			t.Errorf("run %d holds no shared lock on %s", i+1, cacheLockPath)
		}
		if err := d.Close(ctx); err != nil {
			t.Fatalf("Close of run %d: %v", i+1, err)
		}
		assertNothingOfRun(t, d, env.RunID)
	}
	if refs[0] != refs[1] || !strings.HasPrefix(refs[0], "agentic-eval/sandbox:"+img.Key+"-") {
		t.Fatalf("the runs used %q and %q, want one agentic-eval/sandbox:%s-… image", refs[0], refs[1], img.Key)
	}
	ins, err := cli.ImageInspect(ctx, refs[0])
	if err != nil {
		t.Fatalf("the cached image is gone after Close: %v", err)
	}
	if _, ok := ins.Config.Labels[RunLabel]; ok || ins.Config.Labels[CacheLabel] != img.Key {
		t.Errorf("cached image labels %v: want %s=%s and no %s", ins.Config.Labels, CacheLabel, img.Key, RunLabel)
	}
}

// TestStaleCachedImagesGoAndTheCurrentOneStays plants a small image
// labelled as a cache and checks that the clean-up of a run alone on the
// host removes it, and not the image it keeps. It is alone as a run is:
// it waits for the exclusive hold of the cache lock, so that no run of
// another test package loses its image to it.
func TestStaleCachedImagesGoAndTheCurrentOneStays(t *testing.T) {
	d := engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lock, err := openCacheLock()
	if err != nil {
		t.Skipf("no cache lock: %v", err)
	}
	defer lock.Close()
	for syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		select {
		case <-ctx.Done():
			t.Skipf("other runs held %s for 3 minutes", cacheLockPath)
		case <-time.After(100 * time.Millisecond):
		}
	}
	cli, err := d.client()
	if err != nil {
		t.Fatal(err)
	}
	plant := func(ref string) {
		t.Helper()
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Name: "stale", Mode: 0o644, Size: 5, Typeflag: tar.TypeReg})
		tw.Write([]byte("stale"))
		tw.Close()
		body, err := cli.ImageImport(ctx, image.ImportSource{Source: bytes.NewReader(buf.Bytes()), SourceName: "-"}, ref,
			image.ImportOptions{Changes: []string{"LABEL " + CacheLabel + "=" + strings.ReplaceAll(ref, ":", "-")}})
		if err != nil {
			t.Fatalf("plant %s: %v", ref, err)
		}
		if _, err := parseImportStream(body); err != nil {
			t.Fatalf("plant %s: %v", ref, err)
		}
		body.Close()
		t.Cleanup(func() { cli.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true}) })
	}
	stale, keep := "agentic-eval/sandbox:test-stale", "agentic-eval/sandbox:test-keep"
	plant(stale)
	plant(keep)
	d.removeStaleCaches(ctx, cli, keep)
	if _, err := cli.ImageInspect(ctx, stale); !cerrdefs.IsNotFound(err) {
		t.Errorf("stale cached image %s: inspect says %v, want not found", stale, err)
	}
	if _, err := cli.ImageInspect(ctx, keep); err != nil {
		t.Errorf("the kept image %s is gone: %v", keep, err)
	}
}
