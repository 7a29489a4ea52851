package qemu

// The guest kernel as QEMU boots it. A distribution ships a bzImage: a
// real-mode stub and a compressed kernel that decompresses itself. Under TCG
// that decompression is emulated instruction by instruction and costs more
// than a second of every boot, and the guest waits for it before it prints
// anything. The same kernel, decompressed once on the host into its ELF
// (vmlinux), boots straight into 64-bit code through PVH when it carries
// the PVH entry note, which every kernel built with CONFIG_PVH does. The
// guest is the same kernel either way; only who decompresses it changes.

import (
	"bytes"
	"compress/gzip"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/agentic-eval/agentic-eval/internal/filehash"
)

// Kernel forms, as the fingerprint and a result's details name them.
const (
	FormPVH     = "pvh-elf"  // an uncompressed vmlinux entered through PVH
	FormBzImage = "bzimage"  // the distribution's self-decompressing image
	vmlinuxPfx  = "vmlinux-" // cached ELFs: vmlinux-<first 16 hex of the bzImage's sha256>
	vmlinuxTmp  = ".vmlinux-build-"
	vmlinuxLock = ".vmlinux.lock"
	// maxVmlinux bounds what a decompression may write: a distribution's
	// vmlinux is 40 to 80 MB.
	maxVmlinux = 512 << 20
)

// bootKernel is the kernel a sandbox boots and how.
type bootKernel struct {
	Path string // what -kernel is given; "" when nothing can boot
	Form string // FormPVH or FormBzImage
	// Why is, for a bzImage, why no PVH ELF is used ("" for PVH), and
	// without a Path why nothing can boot.
	Why string
}

// bootKernels memoizes resolveBootKernel's PVH answers per source file
// (path, size, modification time), so that a process hashes its kernel
// once; a fallback is not kept, so that a passing cause (a lock wait cut
// short) does not outlive the call.
var bootKernels sync.Map // kernelKey -> bootKernel

type kernelKey struct {
	path  string
	size  int64
	mtime int64
}

// resolveBootKernel returns the PVH ELF of kernel, extracting it into
// kernel's directory the first time, or kernel itself with the reason when
// that cannot be done. A kernel that already is an ELF is used as it is
// when it has the PVH note.
func resolveBootKernel(ctx context.Context, kernel string) bootKernel {
	fi, err := os.Stat(kernel)
	if err != nil {
		return bootKernel{Path: kernel, Form: FormBzImage, Why: err.Error()}
	}
	key := kernelKey{kernel, fi.Size(), fi.ModTime().UnixNano()}
	if bk, ok := bootKernels.Load(key); ok {
		return bk.(bootKernel)
	}
	bk := bootKernel{Path: kernel, Form: FormBzImage}
	if isELF(kernel) {
		if err := checkPVH(kernel); err != nil {
			// QEMU refuses an ELF without the note: nothing boots.
			bk = bootKernel{Why: err.Error()}
		} else {
			bk.Form = FormPVH
		}
	} else if p, err := ensureVmlinux(ctx, kernel); err != nil {
		bk.Why = err.Error()
	} else {
		bk.Path, bk.Form = p, FormPVH
	}
	if bk.Form == FormPVH {
		bootKernels.Store(key, bk)
	}
	return bk
}

func isELF(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var m [4]byte
	_, err = io.ReadFull(f, m[:])
	return err == nil && string(m[:]) == elf.ELFMAG
}

// ensureVmlinux returns the cached PVH ELF of the bzImage at kernel,
// extracting it under the cache directory's lock when there is none.
func ensureVmlinux(ctx context.Context, kernel string) (string, error) {
	if err := regularFile(kernel); err != nil {
		return "", err
	}
	sum, err := filehash.SHA256(kernel)
	if err != nil {
		return "", err
	}
	dir := cacheDir(kernel)
	path := filepath.Join(dir, vmlinuxPfx+sum[:16])
	if err := checkPVH(path); err == nil {
		return path, nil
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, vmlinuxLock))
	if err != nil {
		return "", fmt.Errorf("lock %s: %w", dir, err)
	}
	defer unlock()
	if err := checkPVH(path); err == nil {
		return path, nil // another run extracted it while this one waited
	}
	// Under the lock nothing extracts: a temporary file is a killed one's,
	// and a vmlinux of another hash is of a kernel that was replaced.
	stale, _ := filepath.Glob(filepath.Join(dir, vmlinuxTmp+"*"))
	old, _ := filepath.Glob(filepath.Join(dir, vmlinuxPfx+"*"))
	for _, p := range append(stale, old...) {
		os.Remove(p)
	}
	tmp, err := os.CreateTemp(dir, vmlinuxTmp+"*")
	if err != nil {
		return "", fmt.Errorf("extract vmlinux: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	src, err := os.Open(kernel)
	if err != nil {
		tmp.Close()
		return "", err
	}
	err = extractVmlinux(src, tmp)
	src.Close()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("extract vmlinux from %s: %w", kernel, err)
	}
	if err := checkPVH(tmp.Name()); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { // as readable as the bzImage
		return "", fmt.Errorf("extract vmlinux: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("extract vmlinux: %w", err)
	}
	return path, nil
}

// bzImage setup-header fields (Documentation/arch/x86/boot.rst).
const (
	offSetupSects = 0x1f1
	offHeaderSig  = 0x202
	offVersion    = 0x206
	offPayload    = 0x248 // payload_offset, then payload_length; protocol 2.08+
	headerEnd     = 0x250
)

// extractVmlinux writes the kernel ELF inside the bzImage read from r to
// w. The payload is located through the setup header, its compression is
// told by its magic, and the uncompressed size the kernel's build appends
// to the payload is checked against what was written.
func extractVmlinux(r io.ReaderAt, w io.Writer) error {
	hdr := make([]byte, headerEnd)
	if _, err := r.ReadAt(hdr, 0); err != nil {
		return fmt.Errorf("read setup header: %w", err)
	}
	if string(hdr[offHeaderSig:offHeaderSig+4]) != "HdrS" {
		return errors.New("not a bzImage: no HdrS signature at 0x202")
	}
	if v := binary.LittleEndian.Uint16(hdr[offVersion:]); v < 0x208 {
		return fmt.Errorf("boot protocol %d.%02d has no payload fields (2.08 or later is needed)", v>>8, v&0xff)
	}
	sects := int64(hdr[offSetupSects])
	if sects == 0 {
		sects = 4
	}
	off := (sects+1)*512 + int64(binary.LittleEndian.Uint32(hdr[offPayload:]))
	n := int64(binary.LittleEndian.Uint32(hdr[offPayload+4:]))
	if n <= 4 {
		return fmt.Errorf("payload of %d bytes is too short", n)
	}
	payload := make([]byte, n)
	if _, err := r.ReadAt(payload, off); err != nil {
		return fmt.Errorf("read payload (%d bytes at %d): %w", n, off, err)
	}
	stream, size := payload[:n-4], int64(binary.LittleEndian.Uint32(payload[n-4:]))
	dec, name, err := decompressor(stream)
	if err != nil {
		return err
	}
	written, err := io.Copy(w, io.LimitReader(dec, maxVmlinux+1))
	if err != nil {
		return fmt.Errorf("decompress %s payload: %w", name, err)
	}
	if written > maxVmlinux {
		return fmt.Errorf("%s payload decompresses past %d MiB", name, maxVmlinux>>20)
	}
	if written != size {
		return fmt.Errorf("%s payload gave %d bytes, the image says %d", name, written, size)
	}
	return nil
}

// decompressor reads the compressed stream by its magic. The kernel's
// other formats (bzip2, lzma, lzo, lz4) are refused by name.
func decompressor(b []byte) (io.Reader, string, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		d, err := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderMaxWindow(1<<31), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, "zstd", err
		}
		return d.IOReadCloser(), "zstd", nil
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		d, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, "gzip", err
		}
		d.Multistream(false)
		return d, "gzip", nil
	case bytes.HasPrefix(b, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		d, err := xz.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, "xz", err
		}
		return d, "xz", nil
	}
	for _, f := range []struct {
		magic []byte
		name  string
	}{{[]byte("BZh"), "bzip2"}, {[]byte{0x5d, 0x00, 0x00}, "lzma"}, {[]byte{0x89, 'L', 'Z', 'O'}, "lzo"}, {[]byte{0x02, 0x21, 0x4c, 0x18}, "lz4"}} {
		if bytes.HasPrefix(b, f.magic) {
			return nil, f.name, fmt.Errorf("payload is %s-compressed; zstd, gzip and xz can be extracted", f.name)
		}
	}
	return nil, "", fmt.Errorf("payload has unknown magic % x; zstd, gzip and xz can be extracted", b[:min(len(b), 6)])
}

// xenElfNotePhys32Entry is XEN_ELFNOTE_PHYS32_ENTRY, the note through which
// QEMU finds a kernel's PVH entry point.
const xenElfNotePhys32Entry = 18

// checkPVH reports whether p is an x86-64 ELF with the PVH entry note.
func checkPVH(p string) error {
	f, err := elf.Open(p)
	if err != nil {
		return fmt.Errorf("%s is not an ELF kernel: %w", p, err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 {
		return fmt.Errorf("%s is a %s ELF, not x86-64", p, f.Machine)
	}
	for _, prog := range f.Progs {
		if prog.Type != elf.PT_NOTE {
			continue
		}
		b := make([]byte, prog.Filesz)
		if _, err := prog.ReadAt(b, 0); err != nil {
			return fmt.Errorf("read notes of %s: %w", p, err)
		}
		if hasNote(b, f.ByteOrder, "Xen", xenElfNotePhys32Entry) {
			return nil
		}
	}
	return fmt.Errorf("%s has no PVH entry note (a kernel built without CONFIG_PVH): boot its bzImage", p)
}

// hasNote walks ELF notes (namesz, descsz, type, name and desc each padded
// to 4 bytes) for one of the given name and type.
func hasNote(b []byte, bo binary.ByteOrder, name string, typ uint32) bool {
	for len(b) >= 12 {
		nsz, dsz, t := bo.Uint32(b), bo.Uint32(b[4:]), bo.Uint32(b[8:])
		b = b[12:]
		nlen, dlen := align4(nsz), align4(dsz)
		if nlen+dlen > uint64(len(b)) {
			return false
		}
		if t == typ && strings.TrimRight(string(b[:nsz]), "\x00") == name {
			return true
		}
		b = b[nlen+dlen:]
	}
	return false
}

func align4(n uint32) uint64 { return (uint64(n) + 3) &^ 3 }
