// Package image finds the sandbox image scripts/setup-image.sh builds: a
// Debian 12 root filesystem with python3 and python3-numpy, cached under
// $cache/image/<key>/ with $cache/image/current pointing at the newest key.
//
// Its opinions: the image is built by setup, never by a measurement; Find
// only reads what setup left and refuses anything it cannot vouch for. The
// manifest is opened once and checked on the descriptor (a regular file, at
// most 1 MiB, one JSON object with nothing after it), its
// key must name the directory it lives in, and its tar must still have the
// size it records, so a result that cites Image.Key and Image.TarBytes cites
// the bytes a sandbox really ran. When something is missing the error names
// the path and the fix: run scripts/setup.sh.
package image

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/agentic-eval/agentic-eval/internal/capped"
)

// DefaultCache is the project's cache root; $AGENTIC_EVAL_CACHE overrides it
// (see CacheDir).
const DefaultCache = "/var/cache/agentic-eval"

// maxManifest caps what Find reads of manifest.json.
const maxManifest = 1 << 20

// Fix is what every "missing" error tells the reader to do.
const Fix = "run scripts/setup.sh (as root) to build it"

var keyRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

// CacheDir returns $AGENTIC_EVAL_CACHE when set, DefaultCache otherwise.
func CacheDir() string {
	if d := os.Getenv("AGENTIC_EVAL_CACHE"); d != "" {
		return d
	}
	return DefaultCache
}

// Image is one built sandbox image, as its manifest describes it, with
// absolute paths.
type Image struct {
	Key     string // first 16 hex of sha256(format, suite, arch, variant, packages)
	Dir     string // $cache/image/<key>, the current link resolved
	Tar     string // Dir/rootfs.tar: for docker import and OCI bundles
	Rootfs  string // Dir/rootfs: the unpacked tree, read-only use
	Format  int
	Suite   string // e.g. "bookworm"
	Arch    string // dpkg architecture, e.g. "amd64"
	Variant string // mmdebstrap variant, e.g. "minbase"
	Builder string // e.g. "mmdebstrap 1.3.5-7"
	// Packages are the packages asked for; Versions their installed
	// versions (dpkg-query in the tree).
	Packages     []string
	Versions     map[string]string
	NumpyVersion string // numpy.__version__ in the image
	Installed    int    // installed packages in the tree
	Sources      []string
	TarBytes     int64
	TarSHA256    string
	RootfsBytes  int64 // apparent size of the tree
	RootfsDisk   int64 // disk usage of the tree
	Built        time.Time
}

type manifest struct {
	Format       int               `json:"format"`
	Key          string            `json:"key"`
	Suite        string            `json:"suite"`
	Arch         string            `json:"arch"`
	Variant      string            `json:"variant"`
	Builder      string            `json:"builder"`
	Packages     []string          `json:"packages"`
	Versions     map[string]string `json:"versions"`
	NumpyVersion string            `json:"numpy_version"`
	Installed    int               `json:"installed_packages"`
	Sources      []string          `json:"sources"`
	Tar          string            `json:"tar"`
	TarBytes     int64             `json:"tar_bytes"`
	TarSHA256    string            `json:"tar_sha256"`
	Rootfs       string            `json:"rootfs"`
	RootfsBytes  int64             `json:"rootfs_bytes"`
	RootfsDisk   int64             `json:"rootfs_disk_bytes"`
	Built        time.Time         `json:"built"`
}

// Find reads cacheDir/image/current/manifest.json and returns the image it
// describes, after checking that its tar (with the recorded size) and its
// tree are there.
func Find(cacheDir string) (Image, error) {
	cur := filepath.Join(cacheDir, "image", "current")
	dir, err := filepath.EvalSymlinks(cur)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Image{}, fmt.Errorf("image: no sandbox image: %s is missing: %s", cur, Fix)
		}
		return Image{}, fmt.Errorf("image: %w", err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return Image{}, fmt.Errorf("image: %w", err)
	}
	m, err := readManifest(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return Image{}, err
	}
	mpath := filepath.Join(dir, "manifest.json")
	if m.Format < 1 {
		return Image{}, fmt.Errorf("image: %s: format %d: not a manifest setup-image.sh wrote", mpath, m.Format)
	}
	if !keyRE.MatchString(m.Key) {
		return Image{}, fmt.Errorf("image: %s: key %q is not 16 hex digits", mpath, m.Key)
	}
	if base := filepath.Base(dir); base != m.Key {
		return Image{}, fmt.Errorf("image: %s: key %s does not name its directory %s", mpath, m.Key, base)
	}
	if m.Tar != "rootfs.tar" || m.Rootfs != "rootfs" {
		return Image{}, fmt.Errorf("image: %s: tar %q and rootfs %q must be \"rootfs.tar\" and \"rootfs\"", mpath, m.Tar, m.Rootfs)
	}
	if len(m.Packages) == 0 {
		return Image{}, fmt.Errorf("image: %s lists no packages", mpath)
	}
	for _, p := range m.Packages {
		if m.Versions[p] == "" {
			return Image{}, fmt.Errorf("image: %s records no installed version of %s", mpath, p)
		}
	}
	im := Image{
		Key: m.Key, Dir: dir, Tar: filepath.Join(dir, m.Tar), Rootfs: filepath.Join(dir, m.Rootfs),
		Format: m.Format, Suite: m.Suite, Arch: m.Arch, Variant: m.Variant, Builder: m.Builder,
		Packages: m.Packages, Versions: m.Versions, NumpyVersion: m.NumpyVersion, Installed: m.Installed,
		Sources: m.Sources, TarBytes: m.TarBytes, TarSHA256: m.TarSHA256,
		RootfsBytes: m.RootfsBytes, RootfsDisk: m.RootfsDisk, Built: m.Built,
	}
	st, err := os.Lstat(im.Tar)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return Image{}, fmt.Errorf("image: %s is missing (the manifest names it): %s", im.Tar, Fix)
	case err != nil:
		return Image{}, fmt.Errorf("image: %w", err)
	case !st.Mode().IsRegular():
		return Image{}, fmt.Errorf("image: %s is not a regular file", im.Tar)
	case st.Size() != m.TarBytes:
		return Image{}, fmt.Errorf("image: %s is %d bytes, its manifest says %d: remove %s and %s", im.Tar, st.Size(), m.TarBytes, dir, Fix)
	}
	st, err = os.Lstat(im.Rootfs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return Image{}, fmt.Errorf("image: %s is missing (the manifest names it): %s", im.Rootfs, Fix)
	case err != nil:
		return Image{}, fmt.Errorf("image: %w", err)
	case !st.IsDir():
		return Image{}, fmt.Errorf("image: %s is not a directory", im.Rootfs)
	}
	return im, nil
}

// readManifest opens path once and checks the descriptor: a regular file
// of at most maxManifest bytes holding exactly one JSON object.
func readManifest(path string) (manifest, error) {
	var m manifest
	data, err := capped.ReadFile(path, maxManifest)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return m, fmt.Errorf("image: %s is missing: %s", path, Fix)
	case errors.Is(err, capped.ErrTooLarge):
		return m, fmt.Errorf("image: %s is more than the %d bytes a manifest may be", path, maxManifest)
	case err != nil:
		return m, fmt.Errorf("image: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("image: %s: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return m, fmt.Errorf("image: %s: trailing data after the manifest", path)
	}
	return m, nil
}
