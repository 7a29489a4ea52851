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
	"regexp"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"

	"github.com/agentic-eval/agentic-eval/measure"
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
func (d *Driver) Prepare(ctx context.Context, env measure.RunEnv) error {
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
		return fmt.Errorf("prepare docker run %s: import image %s: %w", env.RunID, ref, err)
	}
	id, err := parseImportStream(body)
	body.Close()
	if err != nil {
		return fmt.Errorf("prepare docker run %s: import image %s: %w", env.RunID, ref, err)
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

// sandboxImageRef names the run's import of the sandbox image.
func sandboxImageRef(runID string) string { return "ae-" + runID + "-image:latest" }

// importImage imports the run's sandbox image (its tar, with the probe put
// in place of the image's /sandbox-probe), streamed: the 170 MB tar is
// never held in memory.
func (d *Driver) importImage(ctx context.Context, cli *client.Client, env measure.RunEnv) error {
	ref := sandboxImageRef(env.RunID)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(withProbe(pw, env.Image.Tar, env.Probe)) }()
	body, err := cli.ImageImport(ctx,
		image.ImportSource{Source: pr, SourceName: "-"},
		ref,
		image.ImportOptions{
			Changes: []string{"LABEL " + RunLabel + "=" + env.RunID, "WORKDIR /work"},
			Message: "agentic-eval sandbox image " + env.Image.Key + " of run " + env.RunID,
		})
	if err != nil {
		pr.CloseWithError(err)
		return fmt.Errorf("import image %s: %w", ref, err)
	}
	_, err = parseImportStream(body)
	body.Close()
	pr.Close()
	if err != nil {
		return fmt.Errorf("import image %s: %w", ref, err)
	}
	d.mu.Lock()
	d.sandboxImage = ref
	d.mu.Unlock()
	return nil
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
	if err := d.Sweep(ctx, "ae-"+runID+"-"); err != nil {
		return fmt.Errorf("close docker run %s: %w", runID, err)
	}
	d.mu.Lock()
	d.runID, d.image, d.imageID, d.sandboxImage = "", "", "", ""
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
