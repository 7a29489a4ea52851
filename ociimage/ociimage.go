package ociimage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Layer is one layer of an image: an uncompressed tar, read from Path or
// held in Data (exactly one of the two).
type Layer struct {
	Path string
	Data []byte
}

// Image is what Write builds.
type Image struct {
	// Ref is the reference the image is imported under, e.g.
	// "localhost/agentic-eval/probe:0123abcd". It must be a full name with
	// a tag.
	Ref string
	// Layers, bottom first.
	Layers []Layer
	// Entrypoint and Cmd of the image's config; Env adds to PATH.
	Entrypoint []string
	Cmd        []string
	Env        []string
	// Labels go into the image config.
	Labels map[string]string
}

// refRE is the shape of a reference Write accepts: lowercase
// registry/path components and a tag.
var refRE = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// CheckRef says whether ref is a reference Write accepts.
func CheckRef(ref string) error {
	if !refRE.MatchString(ref) {
		return fmt.Errorf("image reference %q: want host/path:tag in lowercase (e.g. localhost/agentic-eval/probe:v1)", ref)
	}
	return nil
}

// blob is a content-addressed piece of the archive.
type blob struct {
	desc v1.Descriptor
	path string // read from here, or
	data []byte // from here
}

// Write writes im as an OCI image-layout tar at out (through a temporary
// file beside it, renamed into place) and returns the manifest's digest.
func Write(out string, im Image) (digest.Digest, error) {
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return "", fmt.Errorf("write image %s: %w", out, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	md, err := WriteTo(tmp, im)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write image %s: %w", out, cerr)
	}
	if err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", fmt.Errorf("write image %s: %w", out, err)
	}
	return md, nil
}

// WriteTo streams im as an OCI image-layout tar to w (an importer's stdin,
// say) and returns the manifest's digest. Layers given by path are read
// twice, once for their digest and once into the archive, and never
// copied to a file of their own.
func WriteTo(w io.Writer, im Image) (digest.Digest, error) {
	if err := CheckRef(im.Ref); err != nil {
		return "", err
	}
	if len(im.Layers) == 0 {
		return "", errors.New("image has no layers")
	}
	var blobs []blob
	var diffIDs []digest.Digest
	var layers []v1.Descriptor
	for i, l := range im.Layers {
		b, err := layerBlob(l)
		if err != nil {
			return "", fmt.Errorf("layer %d: %w", i, err)
		}
		blobs = append(blobs, b)
		layers = append(layers, b.desc)
		diffIDs = append(diffIDs, b.desc.Digest)
	}
	env := append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, im.Env...)
	created := time.Unix(0, 0).UTC()
	config := v1.Image{
		Created:  &created,
		Platform: v1.Platform{Architecture: "amd64", OS: "linux"},
		Config:   v1.ImageConfig{Entrypoint: im.Entrypoint, Cmd: im.Cmd, Env: env, Labels: im.Labels},
		RootFS:   v1.RootFS{Type: "layers", DiffIDs: diffIDs},
	}
	cb, err := jsonBlob(v1.MediaTypeImageConfig, config)
	if err != nil {
		return "", err
	}
	blobs = append(blobs, cb)
	manifest := v1.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: v1.MediaTypeImageManifest,
		Config:    cb.desc,
		Layers:    layers,
	}
	mb, err := jsonBlob(v1.MediaTypeImageManifest, manifest)
	if err != nil {
		return "", err
	}
	blobs = append(blobs, mb)
	md := mb.desc
	md.Annotations = map[string]string{
		"io.containerd.image.name": im.Ref,
		v1.AnnotationRefName:       im.Ref,
	}
	md.Platform = &v1.Platform{Architecture: "amd64", OS: "linux"}
	index := v1.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: v1.MediaTypeImageIndex, Manifests: []v1.Descriptor{md}}
	indexJSON, err := json.Marshal(index)
	if err != nil {
		return "", err
	}
	tw := tar.NewWriter(w)
	if err := writeArchive(tw, blobs, indexJSON); err != nil {
		return "", fmt.Errorf("write image %s: %w", im.Ref, err)
	}
	if err := tw.Close(); err != nil {
		return "", fmt.Errorf("write image %s: %w", im.Ref, err)
	}
	return md.Digest, nil
}

// MaxExecutable bounds what ReadExecutable reads.
const MaxExecutable = 256 << 20

// ReadExecutable reads the regular, executable file at path, of at most
// MaxExecutable bytes, for a layer's file (a probe, a harness).
func ReadExecutable(path string) ([]byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("%s is not executable (mode %s)", path, st.Mode().Perm())
	}
	if st.Size() > MaxExecutable {
		return nil, fmt.Errorf("%s is %d bytes, over %d MiB", path, st.Size(), MaxExecutable>>20)
	}
	return io.ReadAll(io.LimitReader(f, MaxExecutable))
}

func writeArchive(tw *tar.Writer, blobs []blob, indexJSON []byte) error {
	mtime := time.Unix(0, 0)
	file := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := file(v1.ImageLayoutFile, []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	if err := file("index.json", indexJSON); err != nil {
		return err
	}
	seen := map[digest.Digest]bool{}
	for _, b := range blobs {
		if seen[b.desc.Digest] {
			continue
		}
		seen[b.desc.Digest] = true
		name := "blobs/sha256/" + b.desc.Digest.Encoded()
		if b.path == "" {
			if err := file(name, b.data); err != nil {
				return err
			}
			continue
		}
		if err := copyFile(tw, name, b.path, b.desc.Size, mtime); err != nil {
			return err
		}
	}
	return nil
}

// copyFile streams the regular file at path into tw as name, checking that
// it still has the size its digest was taken at.
func copyFile(tw *tar.Writer, name, path string, size int64, mtime time.Time) error {
	f, err := openRegular(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size, ModTime: mtime, Format: tar.FormatPAX}); err != nil {
		return err
	}
	n, err := io.Copy(tw, io.LimitReader(f, size+1))
	if err != nil {
		return fmt.Errorf("copy %s: %w", path, err)
	}
	if n != size {
		return fmt.Errorf("copy %s: it changed while the image was written (%d bytes, %d before)", path, n, size)
	}
	return nil
}

// openRegular opens path and checks, on the descriptor, that it is a
// regular file.
func openRegular(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, st.Mode().Type())
	}
	return f, nil
}

func layerBlob(l Layer) (blob, error) {
	switch {
	case l.Path != "" && l.Data != nil:
		return blob{}, errors.New("a layer is a path or bytes, not both")
	case l.Data != nil:
		sum := sha256.Sum256(l.Data)
		d := digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(sum[:]))
		return blob{desc: v1.Descriptor{MediaType: v1.MediaTypeImageLayer, Digest: d, Size: int64(len(l.Data))}, data: l.Data}, nil
	case l.Path != "":
		f, err := openRegular(l.Path)
		if err != nil {
			return blob{}, err
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.Copy(h, f)
		if err != nil {
			return blob{}, fmt.Errorf("read %s: %w", l.Path, err)
		}
		d := digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(h.Sum(nil)))
		return blob{desc: v1.Descriptor{MediaType: v1.MediaTypeImageLayer, Digest: d, Size: n}, path: l.Path}, nil
	}
	return blob{}, errors.New("a layer needs a path or bytes")
}

func jsonBlob(mediaType string, v any) (blob, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return blob{}, err
	}
	sum := sha256.Sum256(data)
	return blob{desc: v1.Descriptor{MediaType: mediaType, Digest: digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(sum[:])), Size: int64(len(data))}, data: data}, nil
}

// FileLayer is a layer holding the given files (path in the image → content
// and mode), with their parent directories, as an uncompressed tar.
func FileLayer(files []File) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(0, 0)
	dirs := map[string]bool{}
	for _, f := range files {
		name := filepath.Clean("/" + f.Name)[1:]
		if name == "" {
			return nil, fmt.Errorf("file %q: an empty path", f.Name)
		}
		var parents []string
		for d := filepath.Dir(name); d != "." && !dirs[d]; d = filepath.Dir(d) {
			parents = append([]string{d}, parents...)
		}
		for _, d := range parents {
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
		}
		if f.Dir {
			dirs[name] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: int64(f.Mode), ModTime: mtime, Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(f.Mode), Size: int64(len(f.Data)), ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// File is one entry of FileLayer.
type File struct {
	Name string
	Data []byte
	Mode os.FileMode
	Dir  bool
}
