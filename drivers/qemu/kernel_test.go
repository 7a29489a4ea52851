package qemu

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// fakeBzImage lays out a setup header (protocol 2.15, 3 setup sectors) and
// a payload of stream followed by the appended uncompressed size.
func fakeBzImage(t *testing.T, stream []byte, size uint32, version uint16) []byte {
	t.Helper()
	const sects = 3
	img := make([]byte, (sects+1)*512)
	img[offSetupSects] = sects
	copy(img[offHeaderSig:], "HdrS")
	binary.LittleEndian.PutUint16(img[offVersion:], version)
	const pad = 64 // the payload starts a little into the protected-mode code
	payload := append(append([]byte(nil), stream...), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(payload[len(stream):], size)
	binary.LittleEndian.PutUint32(img[offPayload:], pad)
	binary.LittleEndian.PutUint32(img[offPayload+4:], uint32(len(payload)))
	img = append(img, make([]byte, pad)...)
	return append(img, payload...)
}

func compress(t *testing.T, format string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch format {
	case "gzip":
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
	case "xz":
		w, err := xz.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
		w.Close()
	case "zstd":
		w, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
		w.Close()
	default:
		t.Fatalf("no compressor %s", format)
	}
	return buf.Bytes()
}

func TestExtractVmlinuxDecompressesEachFormatAndChecksTheSize(t *testing.T) {
	kernel := make([]byte, 300_000)
	rand.New(rand.NewSource(1)).Read(kernel[:100_000]) // part noise, part zeros
	for _, format := range []string{"zstd", "gzip", "xz"} {
		t.Run(format, func(t *testing.T) {
			img := fakeBzImage(t, compress(t, format, kernel), uint32(len(kernel)), 0x20f)
			var out bytes.Buffer
			if err := extractVmlinux(bytes.NewReader(img), &out); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), kernel) {
				t.Fatalf("extracted %d bytes that differ from the %d put in", out.Len(), len(kernel))
			}
		})
	}
}

func TestExtractVmlinuxRefusesWhatItCannotRead(t *testing.T) {
	good := compress(t, "zstd", []byte("a kernel"))
	cases := []struct {
		name string
		img  []byte
		want string
	}{
		{"not a bzImage", make([]byte, 4096), "no HdrS signature"},
		{"boot protocol too old", fakeBzImage(t, good, 8, 0x207), "boot protocol 2.07"},
		{"lz4 payload", fakeBzImage(t, []byte{0x02, 0x21, 0x4c, 0x18, 1, 2}, 8, 0x20f), "lz4-compressed; zstd, gzip and xz"},
		{"unknown magic", fakeBzImage(t, []byte("plain text"), 8, 0x20f), "unknown magic"},
		{"size that disagrees", fakeBzImage(t, good, 9, 0x20f), "gave 8 bytes, the image says 9"},
		{"truncated file", fakeBzImage(t, good, 8, 0x20f)[:2100], "read payload"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := extractVmlinux(bytes.NewReader(c.img), &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestHasNoteWalksPaddedNotes(t *testing.T) {
	note := func(name string, typ uint32, desc []byte) []byte {
		var b bytes.Buffer
		n := append([]byte(name), 0)
		binary.Write(&b, binary.LittleEndian, [3]uint32{uint32(len(n)), uint32(len(desc)), typ})
		b.Write(n)
		b.Write(make([]byte, int(align4(uint32(len(n))))-len(n)))
		b.Write(desc)
		b.Write(make([]byte, int(align4(uint32(len(desc))))-len(desc)))
		return b.Bytes()
	}
	gnu := note("GNU", 3, make([]byte, 20))
	pvh := note("Xen", xenElfNotePhys32Entry, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	other := note("Xen", 5, []byte("xen-3.0"))
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := []struct {
		name  string
		notes []byte
		want  bool
	}{
		{"PVH after others", cat(gnu, other, pvh), true},
		{"no PVH", cat(gnu, other), false},
		{"PVH cut short", cat(gnu, pvh[:len(pvh)-3]), false},
		{"empty", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := hasNote(c.notes, binary.LittleEndian, "Xen", xenElfNotePhys32Entry); got != c.want {
				t.Fatalf("hasNote = %v, want %v", got, c.want)
			}
		})
	}
}

// TestResolveBootKernelExtractsTheCachedKernelOnce runs on setup's real
// guest kernel: the extracted ELF has the PVH note, lands in the kernel's
// directory under its hash, replaces what a killed extraction left, and a
// second resolution reuses it.
func TestResolveBootKernelExtractsTheCachedKernelOnce(t *testing.T) {
	src, err := findKernel()
	if err != nil {
		t.Skipf("no guest kernel: %v (%s)", err, setupFix)
	}
	if isELF(src) {
		t.Skipf("%s is already an ELF; nothing to extract", src)
	}
	dir := t.TempDir()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	kernel := filepath.Join(dir, "vmlinuz")
	if err := os.WriteFile(kernel, b, 0o644); err != nil {
		t.Fatal(err)
	}
	killed := filepath.Join(dir, vmlinuxTmp+"123")
	stale := filepath.Join(dir, vmlinuxPfx+"0000000000000000")
	for _, p := range []string{killed, stale} {
		if err := os.WriteFile(p, []byte("left behind"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bk := resolveBootKernel(context.Background(), kernel)
	if bk.Form != FormPVH {
		t.Fatalf("boot kernel is %s (%s), want %s", bk.Form, bk.Why, FormPVH)
	}
	if filepath.Dir(bk.Path) != dir || !strings.HasPrefix(filepath.Base(bk.Path), vmlinuxPfx) {
		t.Fatalf("extracted to %s, want %s%s<hash> in %s", bk.Path, dir, vmlinuxPfx, dir)
	}
	if err := checkPVH(bk.Path); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{killed, stale} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there after an extraction (stat: %v)", p, err)
		}
	}
	if again := resolveBootKernel(context.Background(), kernel); again != bk {
		t.Fatalf("second resolution gave %+v, want %+v", again, bk)
	}
}

func TestResolveBootKernelRefusesAnELFWithoutPVH(t *testing.T) {
	exe, err := os.Executable() // an x86-64 ELF with no Xen notes
	if err != nil {
		t.Fatal(err)
	}
	bk := resolveBootKernel(context.Background(), exe)
	if bk.Path != "" || !strings.Contains(bk.Why, "no PVH entry note") {
		t.Fatalf("got %+v, want no path and the missing note as the reason", bk)
	}
}
