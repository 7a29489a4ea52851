package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/internal/filehash"
)

// probePath is where the probe lives in the image: the container's command.
const probePath = "/sandbox-probe"

// runIDPattern is what a run id may be so that "ae-<run>-probe" is a valid
// image repository name.
var runIDPattern = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// imageRef is the run's probe image.
func imageRef(runID string) string { return "ae-" + runID + "-probe:latest" }

// Prepare imports the run's probe image, ae-<run>-probe:latest, from an
// in-memory rootfs holding only the probe: no registry is needed. The run is
// recorded before the import, so that Close removes whatever a failed or
// interrupted Prepare left.
func (d *Driver) Prepare(ctx context.Context, env driver.RunEnv) error {
	if !runIDPattern.MatchString(env.RunID) {
		return fmt.Errorf("prepare docker run %q: run id must be lowercase letters, digits and single . _ - separators to name an image", env.RunID)
	}
	cli, err := d.client()
	if err != nil {
		return fmt.Errorf("prepare docker run %s: %w", env.RunID, err)
	}
	d.mu.Lock()
	if d.runID != "" {
		prev := d.runID
		d.mu.Unlock()
		return fmt.Errorf("prepare docker run %s: run %s is still prepared: Close it first", env.RunID, prev)
	}
	d.runID = env.RunID
	d.mu.Unlock()

	ref := imageRef(env.RunID)
	rootfs, err := probeRootfs(env.Probe)
	if err != nil {
		return fmt.Errorf("prepare docker run %s: %w", env.RunID, err)
	}
	body, err := cli.ImageImport(ctx,
		image.ImportSource{Source: bytes.NewReader(rootfs), SourceName: "-"},
		ref,
		image.ImportOptions{
			Changes: []string{"LABEL " + RunLabel + "=" + env.RunID},
			Message: "agentic-eval probe image of run " + env.RunID,
		})
	if err != nil {
		return fmt.Errorf("prepare docker run %s: import image %s: %w", env.RunID, ref, daemonError(err))
	}
	id, err := parseImportStream(body)
	body.Close()
	if err != nil {
		return fmt.Errorf("prepare docker run %s: import image %s: %w", env.RunID, ref, daemonError(err))
	}
	d.mu.Lock()
	d.image, d.imageID = ref, id
	d.mu.Unlock()
	if !env.Image.IsZero() {
		if err := d.importImage(ctx, cli, env); err != nil {
			return fmt.Errorf("prepare docker run %s: %w", env.RunID, err)
		}
	}
	return nil
}

// sandboxImageRef names the run's import of the sandbox image while it is
// under way: a run killed mid-import leaves it where the sweep finds it.
func sandboxImageRef(runID string) string { return "ae-" + runID + "-image:latest" }

// CacheLabel marks the one image a run leaves in the daemon on purpose: the
// sandbox image with the probe in it, kept for the next run as setup keeps
// the image's tar (its value is the image key). It carries no RunLabel, so
// no run's sweep removes it; a run that imports a newer one removes the
// others no container uses.
const CacheLabel = "agentic-eval.cache"

// cachedImageRef names the cached sandbox image of the image key and size
// with the probe whose SHA-256 is probeSum.
func cachedImageRef(img driver.Image, probeSum string) string {
	return fmt.Sprintf("agentic-eval/sandbox:%s-%d-%s", img.Key, img.TarBytes, probeSum[:12])
}

// importImage makes the run's sandbox image (the image's tar with the probe
// put in place of its /sandbox-probe) available: the cached one when the
// daemon has it, or an import, streamed (the 170 MB tar is never held in
// memory), under the run's name first and then tagged as the cache.
func (d *Driver) importImage(ctx context.Context, cli *client.Client, env driver.RunEnv) error {
	sum, err := filehash.SHA256(env.Probe)
	if err != nil {
		return fmt.Errorf("sandbox image: %w", err)
	}
	if lock, err := openCacheLock(); err == nil {
		if syscall.Flock(int(lock.Fd()), syscall.LOCK_SH) == nil {
			d.mu.Lock()
			d.cacheLock = lock
			d.mu.Unlock()
		} else {
			lock.Close()
		}
	}
	cached := cachedImageRef(env.Image, sum)
	if _, err := cli.ImageInspect(ctx, cached); err == nil {
		d.mu.Lock()
		d.sandboxImage = cached
		d.mu.Unlock()
		return nil
	} else if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("inspect image %s: %w", cached, daemonError(err))
	}
	ref := sandboxImageRef(env.RunID)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(withProbe(pw, env.Image.Tar, env.Probe)) }()
	body, err := cli.ImageImport(ctx,
		image.ImportSource{Source: pr, SourceName: "-"},
		ref,
		image.ImportOptions{
			Changes: []string{"LABEL " + CacheLabel + "=" + env.Image.Key, "WORKDIR /work"},
			Message: "agentic-eval sandbox image " + env.Image.Key + " with probe " + sum[:12],
		})
	if err != nil {
		pr.CloseWithError(err)
		return fmt.Errorf("import image %s: %w", ref, daemonError(err))
	}
	_, err = parseImportStream(body)
	body.Close()
	pr.Close()
	if err != nil {
		return fmt.Errorf("import image %s: %w", ref, daemonError(err))
	}
	if err := cli.ImageTag(ctx, ref, cached); err != nil {
		return fmt.Errorf("tag image %s as %s: %w", ref, cached, daemonError(err))
	}
	// Untag the run's name; the image stays, as the cache.
	if _, err := cli.ImageRemove(ctx, ref, image.RemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("untag image %s: %w", ref, daemonError(err))
	}
	d.mu.Lock()
	d.sandboxImage = cached
	lock := d.cacheLock
	d.mu.Unlock()
	// Only a run alone on this host removes the other cached images: one
	// beside it may be using them, between its containers. Converting the
	// shared hold to an exclusive one without waiting fails when any other
	// run holds it. flock(2) converts by dropping the old lock first, so
	// the shared hold is taken again whether or not the conversion took.
	if lock != nil {
		if syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			d.removeStaleCaches(ctx, cli, cached)
		}
		syscall.Flock(int(lock.Fd()), syscall.LOCK_SH)
	}
	return nil
}

// cacheLockPath is the lock file of the cached sandbox images, beside the
// project's daemon socket. It covers the runs of this host; runs on other
// hosts against the same remote daemon are not seen.
const cacheLockPath = "/run/agentic-eval/docker-image-cache.lock"

func openCacheLock() (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(cacheLockPath), 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(cacheLockPath, os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o644)
}

// removeStaleCaches removes the cached sandbox images other than keep that
// no container uses (a removal without force fails on one in use: it is
// left for a later run).
func (d *Driver) removeStaleCaches(ctx context.Context, cli *client.Client, keep string) {
	list, err := cli.ImageList(ctx, image.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", CacheLabel))})
	if err != nil {
		return
	}
	for _, im := range list {
		if slices.Contains(im.RepoTags, keep) {
			continue
		}
		for _, tag := range im.RepoTags {
			cli.ImageRemove(ctx, tag, image.RemoveOptions{})
		}
		if len(im.RepoTags) == 0 {
			cli.ImageRemove(ctx, im.ID, image.RemoveOptions{})
		}
	}
}

// withProbe copies the image tar at tarPath to w, with the probe binary in
// place of its /sandbox-probe.
func withProbe(w io.Writer, tarPath, probe string) error {
	f, err := os.Open(tarPath)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("image tar %s is not a regular file", tarPath)
	}
	bin, err := os.ReadFile(probe)
	if err != nil {
		return fmt.Errorf("read probe binary: %w", err)
	}
	tr, tw := tar.NewReader(f), tar.NewWriter(w)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read image tar %s: %w", tarPath, err)
		}
		if strings.TrimPrefix(strings.TrimPrefix(hdr.Name, "./"), "/") == strings.TrimPrefix(probePath, "/") {
			continue
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(probePath, "/"), Mode: 0o755, Size: int64(len(bin)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := tw.Write(bin); err != nil {
		return err
	}
	return tw.Close()
}

// Close removes the run's containers still there and its image, after any
// background removal Start left running. It is safe to call when Prepare
// failed or was never called; once it succeeds the driver can prepare
// another run.
func (d *Driver) Close(ctx context.Context) error {
	d.mu.Lock()
	runID := d.runID
	d.mu.Unlock()
	if runID == "" {
		return nil
	}
	if err := d.Settle(ctx); err != nil {
		return fmt.Errorf("close docker run %s: %w", runID, err)
	}
	if err := d.Reap(ctx, "ae-"+runID+"-"); err != nil {
		return fmt.Errorf("close docker run %s: %w", runID, err)
	}
	d.mu.Lock()
	d.runID, d.image, d.imageID, d.sandboxImage = "", "", "", ""
	if d.cacheLock != nil {
		d.cacheLock.Close() // releases the shared hold
		d.cacheLock = nil
	}
	d.mu.Unlock()
	return nil
}

// Settle waits until the background removals started by cancelled Starts
// have finished, or ctx ends.
func (d *Driver) Settle(ctx context.Context) error {
	done := make(chan struct{})
	go func() { d.pending.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for background container removals: %w", ctx.Err())
	}
}

// probeRootfs is a tar archive of the probe image's root: the probe at
// /sandbox-probe (mode 0755) and the empty mount points /proc, /dev, /sys
// and /etc.
func probeRootfs(probe string) ([]byte, error) {
	bin, err := os.ReadFile(probe)
	if err != nil {
		return nil, fmt.Errorf("read probe binary: %w", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(0, 0)
	for _, dir := range []string{"proc/", "dev/", "sys/", "etc/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return nil, fmt.Errorf("write probe rootfs: %w", err)
		}
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(probePath, "/"), Mode: 0o755, Size: int64(len(bin)), ModTime: mtime, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, fmt.Errorf("write probe rootfs: %w", err)
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, fmt.Errorf("write probe rootfs: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("write probe rootfs: %w", err)
	}
	return buf.Bytes(), nil
}

// parseImportStream reads the JSON messages of POST /images/create
// (fromSrc=-): the last status is the new image's id; an error message is
// the import's failure.
func parseImportStream(r io.Reader) (string, error) {
	dec := json.NewDecoder(r)
	var id string
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return "", fmt.Errorf("read import progress: %w", err)
		}
		if m.Error != nil {
			return "", m.Error
		}
		if s := strings.TrimSpace(m.Status); strings.HasPrefix(s, "sha256:") {
			id = s
		}
	}
	if id == "" {
		return "", errors.New("import answered no image id")
	}
	return id, nil
}

// isNotFound reports a "no such container/image" answer.
func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }
