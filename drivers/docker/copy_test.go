package docker

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/image"
	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/probe"
	"github.com/agentic-eval/agentic-eval/workload"
)

// sandboxImage is the run's sandbox image, or skips with the reason.
func sandboxImage(t testing.TB) driver.Image {
	t.Helper()
	img, err := image.Find(image.CacheDir())
	if err != nil {
		t.Skipf("no sandbox image: %v", err)
	}
	return driver.Image{Key: img.Key, Rootfs: img.Rootfs, Tar: img.Tar, TarBytes: img.TarBytes, RootfsBytes: img.RootfsBytes}
}

// onImage prepares a run with the sandbox image and starts one container
// on it, its probe ready.
func onImage(t *testing.T) (*sandbox, *probe.Stream) {
	t.Helper()
	d := engine(t)
	img := sandboxImage(t)
	env := driver.RunEnv{RunID: newRunID(t), Probe: drivertest.Probe(t), Dir: t.TempDir(), Image: img}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		assertNothingOfRun(t, d, env.RunID)
	})
	if err := d.Prepare(ctx, env); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	spec := sandboxSpec(env, 1, nil)
	spec.Image = img
	var st *probe.Stream
	spec.Attach = func(out io.Reader, in io.Writer) { st = probe.NewStream(out, in) }
	sb, err := d.Start(ctx, spec)
	if err != nil {
		t.Fatalf("Start on the image: %v", err)
	}
	t.Cleanup(func() {
		st.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := sb.Destroy(ctx); err != nil {
			t.Errorf("Destroy: %v", err)
		}
	})
	if _, err := st.Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}
	return sb.(*sandbox), st
}

// probeGet reads a file through the probe's agent protocol, in chunks.
func probeGet(ctx context.Context, st *probe.Stream, p string) ([]byte, error) {
	var out []byte
	for {
		var res probe.GetResult
		if err := st.Call(ctx, probe.ReqGet, probe.GetRequest{V: probe.AgentVersion, Path: p, Offset: int64(len(out)), Length: probe.MaxChunk}, &res); err != nil {
			return nil, err
		}
		if res.Error != "" {
			return nil, errors.New(res.Error)
		}
		out = append(out, res.Data...)
		if res.EOF {
			return out, nil
		}
	}
}

// probePut writes a file through the probe's agent protocol, in chunks.
func probePut(ctx context.Context, st *probe.Stream, p string, data []byte) error {
	for off := 0; ; off += probe.MaxChunk {
		end := min(off+probe.MaxChunk, len(data))
		req := probe.PutRequest{V: probe.AgentVersion, Path: p, Offset: int64(off), Data: data[off:end], Last: end == len(data)}
		var res probe.PutResult
		if err := st.Call(ctx, probe.ReqPut, req, &res); err != nil {
			return err
		}
		if res.Error != "" {
			return errors.New(res.Error)
		}
		if req.Last {
			return nil
		}
	}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestArchiveAPIMovesFilesThatTheProbeSees puts files through
// the Engine's archive API into the container's own layer, gets them back,
// and crosses with the probe both ways: each path sees the other's file.
func TestArchiveAPIMovesFilesThatTheProbeSees(t *testing.T) {
	sb, st := onImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, why := sb.CopyFallback()
	if dir != "/var/tmp" || why == "" {
		t.Fatalf("fallback %q (%q)", dir, why)
	}
	for _, size := range []int{0, 4 << 10, 1 << 20, 8 << 20} {
		t.Run(bytesName(size), func(t *testing.T) {
			data := randomBytes(t, size)
			p := dir + "/ae-copy-" + bytesName(size)
			if err := sb.CopyIn(ctx, p, data); err != nil {
				t.Fatalf("CopyIn: %v", err)
			}
			back, err := sb.CopyOut(ctx, p, int64(size))
			if err != nil || !bytes.Equal(back, data) {
				t.Fatalf("CopyOut of what CopyIn put: %d bytes equal=%v, %v", len(back), bytes.Equal(back, data), err)
			}
			seen, err := probeGet(ctx, st, p)
			if err != nil || !bytes.Equal(seen, data) {
				t.Errorf("the probe reads %d bytes (equal=%v) of what the archive API put: %v", len(seen), bytes.Equal(seen, data), err)
			}
			q := dir + "/ae-probe-" + bytesName(size)
			if err := probePut(ctx, st, q, data); err != nil {
				t.Fatalf("probe put: %v", err)
			}
			got, err := sb.CopyOut(ctx, q, int64(size))
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("the archive API reads %d bytes (equal=%v) of what the probe put: %v", len(got), bytes.Equal(got, data), err)
			}
		})
	}
}

// TestArchiveAPIRefusesWhatIsNotAFileOfTheExpectedSize: a size bound, a
// directory, a missing file and a bad path are each a clear error.
func TestArchiveAPIRefusesWhatIsNotAFileOfTheExpectedSize(t *testing.T) {
	sb, _ := onImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := sb.CopyIn(ctx, "/var/tmp/ae-big", randomBytes(t, 4096)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path string
		limit      int64
		want       string
	}{
		{"larger than the limit", "/var/tmp/ae-big", 4095, "4096 bytes, more than the 4095 expected"},
		{"a directory", "/var/tmp", 1 << 20, "not a regular file"},
		{"missing", "/var/tmp/ae-none", 1 << 20, "not found as the daemon sees the container"},
		{"relative", "var/tmp/ae-big", 1 << 20, "want a clean absolute path"},
		{"unclean", "/var/tmp/../tmp/ae-big", 1 << 20, "want a clean absolute path"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := sb.CopyOut(ctx, c.path, c.limit)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("CopyOut(%s, %d): %v, want one line with %q", c.path, c.limit, err, c.want)
			}
		})
	}
	if err := sb.CopyIn(ctx, "/", nil); err == nil || !strings.Contains(err.Error(), "want a clean absolute path") {
		t.Errorf("CopyIn(/): %v", err)
	}
	if err := sb.CopyIn(ctx, "/no-such-dir/f", []byte("x")); err == nil {
		t.Error("CopyIn into a directory that does not exist succeeded")
	}
}

// TestArchiveAPIAndTheTmpfsWorkDir finds out, on this daemon, whether the
// archive API reaches the work dir (a tmpfs mount) and pins that its view
// is consistent both ways: when the probe does not see a file the API put
// there, the API does not see a file the probe put there either.
func TestArchiveAPIAndTheTmpfsWorkDir(t *testing.T) {
	sb, st := onImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data := randomBytes(t, 64)
	in := workload.WorkDir + "/ae-from-api"
	if err := sb.CopyIn(ctx, in, data); err != nil {
		t.Logf("CopyIn into %s fails here: %v", in, err)
	}
	seen, perr := probeGet(ctx, st, in)
	reaches := perr == nil && bytes.Equal(seen, data)
	out := workload.WorkDir + "/ae-from-probe"
	if err := probePut(ctx, st, out, data); err != nil {
		t.Fatalf("probe put: %v", err)
	}
	got, gerr := sb.CopyOut(ctx, out, 64)
	sees := gerr == nil && bytes.Equal(got, data)
	t.Logf("archive API into %s: the probe sees it: %v (%v); out of it: %v (%v)", workload.WorkDir, reaches, perr, sees, gerr)
	if reaches != sees {
		t.Errorf("the archive API reaches %s one way only: in %v, out %v", workload.WorkDir, reaches, sees)
	}
}

func bytesName(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
