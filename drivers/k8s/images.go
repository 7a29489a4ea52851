package k8s

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/ociimage"
)

// probePath is where the probe lives in both images: the container's
// command.
const probePath = "/sandbox-probe"

// ContainerdSocketEnv overrides where the local node's containerd is.
const ContainerdSocketEnv = "AGENTIC_EVAL_CONTAINERD_SOCKET"

// containerdSockets are tried in order when ContainerdSocketEnv is unset:
// the project's own cluster's, then containerd's default.
var containerdSockets = []string{
	"/run/agentic-eval/kube/containerd/containerd.sock",
	"/run/containerd/containerd.sock",
}

// ctrPaths are where ctr is looked for before $PATH: the project's build.
var ctrPaths = []string{"/var/cache/agentic-eval/kubernetes/bin/ctr"}

// imageRefs are the run's two images: the probe alone, and the sandbox
// image with the probe in place.
func imageRefs(runID string) (probe, sandbox string) {
	return "localhost/agentic-eval/probe:ae-" + runID, "localhost/agentic-eval/sandbox:ae-" + runID
}

// containerd is the local node's containerd, driven through ctr in the
// namespace the CRI uses.
type containerd struct {
	ctr, socket string
}

func findContainerd() (containerd, error) {
	var socks []string
	if s := os.Getenv(ContainerdSocketEnv); s != "" {
		socks = []string{s}
	} else {
		socks = containerdSockets
	}
	sock := ""
	for _, s := range socks {
		if st, err := os.Stat(s); err == nil && st.Mode()&os.ModeSocket != 0 {
			sock = s
			break
		}
	}
	if sock == "" {
		return containerd{}, fmt.Errorf("no containerd socket at %s: the probe's images are imported into the node's containerd (set $%s)", strings.Join(socks, " or "), ContainerdSocketEnv)
	}
	ctr := ""
	for _, p := range ctrPaths {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			ctr = p
			break
		}
	}
	if ctr == "" {
		p, err := exec.LookPath("ctr")
		if err != nil {
			return containerd{}, fmt.Errorf("ctr not found (in %s or on PATH): it imports the probe's images into the node's containerd", strings.Join(ctrPaths, ", "))
		}
		ctr = p
	}
	return containerd{ctr: ctr, socket: sock}, nil
}

func (c containerd) run(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.ctr, append([]string{"--address", c.socket, "--namespace", "k8s.io"}, args...)...)
	cmd.Stdin = stdin
	// ctr dies with this process: an import it finished after a killed
	// run was reaped would leave an image no listing looked for.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, ctrFailure(ctx, fmt.Errorf("ctr %s: %s", strings.Join(args, " "), lastLine(msg)), msg, err)
	}
	return out.Bytes(), nil
}

// ctrFailure types a failed ctr command (err, which says what ctr
// printed, printed; exitErr, how the command ended) where its output is
// read: the errno whose C library text ctr printed, "connection refused"
// to containerd making it unreachable (driver.Printed); a timeout when the
// command's deadline ended it (driver.TimedOut), or else driver.ErrKilled
// when a signal from outside killed ctr.
func ctrFailure(ctx context.Context, err error, printed string, exitErr error) error {
	err = driver.Printed(err, printed)
	switch {
	case ctx.Err() != nil:
		return driver.TimedOut(ctx, err)
	case driver.KilledFromOutside(exitErr):
		return driver.Killed(err)
	}
	return err
}

// importImage streams im as an OCI archive into ctr's import: the image is
// never written to a file of its own.
func (c containerd) importImage(ctx context.Context, im ociimage.Image) error {
	pr, pw := io.Pipe()
	written := make(chan error, 1)
	go func() {
		_, err := ociimage.WriteTo(pw, im)
		pw.CloseWithError(err)
		written <- err
	}()
	_, err := c.run(ctx, pr, "images", "import", "-")
	pr.CloseWithError(errors.New("ctr import ended")) // unblocks the writer if ctr stopped reading
	if werr := <-written; werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("import image %s: %w", im.Ref, err)
	}
	return nil
}

// removeImages removes the named images (a missing one is not an error).
func (c containerd) removeImages(ctx context.Context, refs ...string) error {
	if len(refs) == 0 {
		return nil
	}
	_, err := c.run(ctx, nil, append([]string{"images", "rm"}, refs...)...)
	if err != nil && strings.Contains(err.Error(), "not found") {
		return nil
	}
	return err
}

// listImages lists the images whose reference has the prefix.
func (c containerd) listImages(ctx context.Context, prefix string) ([]string, error) {
	out, err := c.run(ctx, nil, "images", "ls", "-q")
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" && strings.HasPrefix(l, prefix) {
			refs = append(refs, l)
		}
	}
	return refs, nil
}

// probeImage is the probe alone, with the mount points a container needs.
func probeImage(ref, probe string) (ociimage.Image, error) {
	bin, err := ociimage.ReadExecutable(probe)
	if err != nil {
		return ociimage.Image{}, fmt.Errorf("read probe: %w", err)
	}
	layer, err := ociimage.FileLayer([]ociimage.File{
		{Name: probePath, Data: bin, Mode: 0o755},
		{Name: "proc", Dir: true, Mode: 0o555}, {Name: "dev", Dir: true, Mode: 0o755},
		{Name: "sys", Dir: true, Mode: 0o555}, {Name: "tmp", Dir: true, Mode: 0o1777},
		{Name: "work", Dir: true, Mode: 0o755}, {Name: "etc", Dir: true, Mode: 0o755},
	})
	if err != nil {
		return ociimage.Image{}, err
	}
	return ociimage.Image{Ref: ref, Layers: []ociimage.Layer{{Data: layer}}, Entrypoint: []string{probePath},
		Labels: map[string]string{"org.opencontainers.image.title": "agentic-eval probe"}}, nil
}

// sandboxImage is the sandbox image's tar with the probe laid over it.
func sandboxImage(ref, probe string, im driver.Image) (ociimage.Image, error) {
	bin, err := ociimage.ReadExecutable(probe)
	if err != nil {
		return ociimage.Image{}, fmt.Errorf("read probe: %w", err)
	}
	layer, err := ociimage.FileLayer([]ociimage.File{{Name: probePath, Data: bin, Mode: 0o755}, {Name: "work", Dir: true, Mode: 0o755}})
	if err != nil {
		return ociimage.Image{}, err
	}
	return ociimage.Image{Ref: ref, Layers: []ociimage.Layer{{Path: im.Tar}, {Data: layer}}, Entrypoint: []string{probePath},
		Labels: map[string]string{"org.opencontainers.image.title": "agentic-eval sandbox image " + im.Key}}, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// importTimeout bounds one image import (the sandbox image is ~170 MB).
const importTimeout = 3 * time.Minute
