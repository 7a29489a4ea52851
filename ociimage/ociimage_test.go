package ociimage

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// readArchive returns the archive's files by name.
func readArchive(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = b
	}
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestWriteIsAContentAddressedLayout(t *testing.T) {
	dir := t.TempDir()
	lower, err := FileLayer([]File{{Name: "etc", Dir: true, Mode: 0o755}, {Name: "/etc/hostname", Data: []byte("x\n"), Mode: 0o644}})
	if err != nil {
		t.Fatal(err)
	}
	lowerPath := filepath.Join(dir, "lower.tar")
	if err := os.WriteFile(lowerPath, lower, 0o644); err != nil {
		t.Fatal(err)
	}
	upper, err := FileLayer([]File{{Name: "sandbox-probe", Data: []byte("#!probe"), Mode: 0o755}})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "image.tar")
	md, err := Write(out, Image{Ref: "localhost/agentic-eval/probe:t1", Layers: []Layer{{Path: lowerPath}, {Data: upper}}, Entrypoint: []string{"/sandbox-probe"}})
	if err != nil {
		t.Fatal(err)
	}
	files := readArchive(t, out)
	if string(files["oci-layout"]) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout = %q", files["oci-layout"])
	}
	var index v1.Index
	if err := json.Unmarshal(files["index.json"], &index); err != nil {
		t.Fatal(err)
	}
	if len(index.Manifests) != 1 || index.Manifests[0].Digest != md {
		t.Fatalf("index %+v, want one manifest %s", index.Manifests, md)
	}
	if got := index.Manifests[0].Annotations["io.containerd.image.name"]; got != "localhost/agentic-eval/probe:t1" {
		t.Errorf("the index names the image %q", got)
	}
	// Every blob is stored under its own digest.
	for name, b := range files {
		if d, ok := strings.CutPrefix(name, "blobs/sha256/"); ok && sum(b) != d {
			t.Errorf("blob %s holds content of digest %s", name, sum(b))
		}
	}
	var m v1.Manifest
	if err := json.Unmarshal(files["blobs/sha256/"+md.Encoded()], &m); err != nil {
		t.Fatal(err)
	}
	var cfg v1.Image
	if err := json.Unmarshal(files["blobs/sha256/"+m.Config.Digest.Encoded()], &cfg); err != nil {
		t.Fatal(err)
	}
	want := []string{sum(lower), sum(upper)}
	if len(m.Layers) != 2 || len(cfg.RootFS.DiffIDs) != 2 {
		t.Fatalf("layers %d, diff ids %d; want 2 and 2", len(m.Layers), len(cfg.RootFS.DiffIDs))
	}
	for i, w := range want {
		if m.Layers[i].Digest.Encoded() != w || cfg.RootFS.DiffIDs[i].Encoded() != w {
			t.Errorf("layer %d: digest %s, diff id %s, want %s (uncompressed: the same)", i, m.Layers[i].Digest, cfg.RootFS.DiffIDs[i], w)
		}
		if m.Layers[i].MediaType != v1.MediaTypeImageLayer {
			t.Errorf("layer %d media type %s", i, m.Layers[i].MediaType)
		}
	}
	if strings.Join(cfg.Config.Entrypoint, " ") != "/sandbox-probe" {
		t.Errorf("entrypoint %q", cfg.Config.Entrypoint)
	}
}

func TestWriteRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	layer, _ := FileLayer([]File{{Name: "a", Data: []byte("a"), Mode: 0o644}})
	cases := []struct {
		name string
		im   Image
		want string
	}{
		{"no tag", Image{Ref: "localhost/agentic-eval/probe", Layers: []Layer{{Data: layer}}}, "want host/path:tag"},
		{"upper case", Image{Ref: "localhost/Agentic/probe:v1", Layers: []Layer{{Data: layer}}}, "want host/path:tag"},
		{"no layers", Image{Ref: "localhost/a/b:v1"}, "no layers"},
		{"a directory as a layer", Image{Ref: "localhost/a/b:v1", Layers: []Layer{{Path: dir}}}, "not a regular file"},
		{"a layer with both", Image{Ref: "localhost/a/b:v1", Layers: []Layer{{Path: "x", Data: layer}}}, "not both"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name+".tar")
			_, err := Write(out, c.im)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Write: %v, want an error with %q", err, c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a refused image left an archive")
			}
		})
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("a temporary file was left: %s", e.Name())
		}
	}
}
