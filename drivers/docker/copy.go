package docker

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/docker/docker/api/types/container"
)

// MaxCopyBytes bounds one file moved through the archive API, either way.
const MaxCopyBytes = 1 << 30

// copyFallbackDir is where files go when the work dir is out of the
// archive API's reach: a directory of the image that is no mount, so it
// lives in the container's own writable layer.
const copyFallbackDir = "/var/tmp"

// CopyIn writes data as the regular file at p through the Engine's archive
// API (PUT /containers/{id}/archive with a one-file tar, extracted into
// p's directory). The daemon extracts into the container's filesystem as
// it sees it, which on this daemon does not include a tmpfs mount: a copy
// into one succeeds and lands underneath it, out of the container's
// sight (CopyFallback).
func (s *sandbox) CopyIn(ctx context.Context, p string, data []byte) error {
	if err := checkCopyPath(p); err != nil {
		return fmt.Errorf("copy into docker sandbox %s: %w", s.name, err)
	}
	if len(data) > MaxCopyBytes {
		return fmt.Errorf("copy into docker sandbox %s: %s: %d bytes, at most %d", s.name, p, len(data), MaxCopyBytes)
	}
	dir, base := path.Split(p)
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: base, Mode: 0o644, Size: int64(len(data)), ModTime: time.Now(), Format: tar.FormatPAX})
		if err == nil {
			_, err = tw.Write(data)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	err := s.cli.CopyToContainer(ctx, s.id, dir, pr, container.CopyToContainerOptions{})
	pr.CloseWithError(errors.New("copy ended")) // ends the writer when the request ended early
	if err != nil {
		return fmt.Errorf("copy %s into docker sandbox %s: %w", p, s.name, daemonError(err))
	}
	return nil
}

// CopyOut reads the regular file at p through the archive API (GET
// /containers/{id}/archive): the stat the daemon sends first must say a
// regular file of at most limit bytes, and the tar must hold that one file
// and no more than limit bytes of it.
func (s *sandbox) CopyOut(ctx context.Context, p string, limit int64) ([]byte, error) {
	if err := checkCopyPath(p); err != nil {
		return nil, fmt.Errorf("copy out of docker sandbox %s: %w", s.name, err)
	}
	limit = min(limit, MaxCopyBytes)
	rc, stat, err := s.cli.CopyFromContainer(ctx, s.id, p)
	if isNotFound(err) {
		return nil, fmt.Errorf("copy %s out of docker sandbox %s: not found as the daemon sees the container: %w", p, s.name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("copy %s out of docker sandbox %s: %w", p, s.name, daemonError(err))
	}
	defer rc.Close()
	fail := func(format string, args ...any) ([]byte, error) {
		return nil, fmt.Errorf("copy %s out of docker sandbox %s: %s", p, s.name, fmt.Sprintf(format, args...))
	}
	if !stat.Mode.IsRegular() {
		return fail("not a regular file (mode %s)", stat.Mode)
	}
	if stat.Size > limit {
		return fail("%d bytes, more than the %d expected", stat.Size, limit)
	}
	tr := tar.NewReader(rc)
	hdr, err := tr.Next()
	if err != nil {
		return fail("read archive: %v", err)
	}
	if hdr.Typeflag != tar.TypeReg || hdr.Name != path.Base(p) {
		return fail("the archive holds %q (type %c), not the file %q", hdr.Name, hdr.Typeflag, path.Base(p))
	}
	if hdr.Size > limit {
		return fail("%d bytes in the archive, more than the %d expected", hdr.Size, limit)
	}
	data, err := io.ReadAll(io.LimitReader(tr, limit+1))
	if err != nil {
		return fail("read archive: %v", err)
	}
	if int64(len(data)) != hdr.Size {
		return fail("%d bytes read, the archive said %d", len(data), hdr.Size)
	}
	if next, err := tr.Next(); err != io.EOF {
		if err == nil {
			return fail("the archive holds more than the file: %q", next.Name)
		}
		return fail("read archive: %v", err)
	}
	return data, nil
}

// CopyFallback is /var/tmp: a directory of the image, not a mount, so in
// the container's own writable layer, which the archive API reads and
// writes.
func (s *sandbox) CopyFallback() (dir, why string) {
	return copyFallbackDir, "a directory of the image that is no mount, in the container's own writable layer, which the archive API reaches"
}

// checkCopyPath accepts a clean absolute path to a file below the root.
func checkCopyPath(p string) error {
	switch {
	case p == "" || p[0] != '/' || path.Clean(p) != p || p == "/":
		return fmt.Errorf("path %q: want a clean absolute path to a file", p)
	case len(p) > 4096:
		return fmt.Errorf("path of %d bytes: at most 4096", len(p))
	}
	return nil
}
