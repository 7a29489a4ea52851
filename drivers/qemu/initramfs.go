package qemu

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cavaliergopher/cpio"
)

// newcHeaderLen is the size of a newc ("070701") cpio header.
const newcHeaderLen = 110

// writeInitramfs writes an uncompressed newc cpio archive (a compressed one
// would be decompressed by the guest, which under TCG is emulated and costs
// more than the bytes it saves) to dst whose /init is the
// probe at probePath (mode 0755), with /dev/console (char 5,1), so that the
// kernel gives /init the serial console as stdin, stdout and stderr, and
// the empty directories /dev, /proc, /sys and /tmp for the probe to mount
// on, and the kernel modules at the host paths modules under
// /lib/modules/ (probe.ModulesDir) by their base names, for a guest on
// the image. The file appears complete or not at all.
func writeInitramfs(dst, probePath string, modules []string) (err error) {
	probe, err := os.ReadFile(probePath)
	if err != nil {
		return fmt.Errorf("read probe for initramfs: %w", err)
	}
	var mods []file
	for _, m := range modules {
		if err := regularFile(m); err != nil {
			return fmt.Errorf("kernel module for initramfs: %w", err)
		}
		b, err := os.ReadFile(m)
		if err != nil {
			return fmt.Errorf("kernel module for initramfs: %w", err)
		}
		mods = append(mods, file{name: filepath.Base(m), data: b})
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".initramfs-*")
	if err != nil {
		return fmt.Errorf("create initramfs: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := buildInitramfs(bw, probe, mods); err != nil {
		return fmt.Errorf("write initramfs %s: %w", dst, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write initramfs %s: %w", dst, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write initramfs %s: %w", dst, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("write initramfs %s: %w", dst, err)
	}
	return nil
}

// file is a named file's content.
type file struct {
	name string
	data []byte
}

// buildInitramfs writes the archive (see writeInitramfs) to w.
func buildInitramfs(w io.Writer, probe []byte, modules []file) error {
	rp := &rdevPatcher{w: w}
	cw := cpio.NewWriter(rp)
	mtime := time.Unix(0, 0)
	for _, d := range []string{"dev", "proc", "sys", "tmp"} {
		if err := cw.WriteHeader(&cpio.Header{Name: d, Mode: cpio.TypeDir | 0o755, Links: 2, ModTime: mtime}); err != nil {
			return fmt.Errorf("cpio %s: %w", d, err)
		}
	}
	// The cpio package writes no device numbers (rdevmajor/rdevminor stay
	// zero), so the header it writes for the console is patched on its way
	// out.
	rp.arm(5, 1)
	if err := cw.WriteHeader(&cpio.Header{Name: "dev/console", Mode: cpio.TypeChar | 0o600, Links: 1, ModTime: mtime}); err != nil {
		return fmt.Errorf("cpio dev/console: %w", err)
	}
	if err := rp.check(); err != nil {
		return fmt.Errorf("cpio dev/console: %w", err)
	}
	if err := cw.WriteHeader(&cpio.Header{Name: "init", Mode: cpio.TypeReg | 0o755, Size: int64(len(probe)), ModTime: mtime}); err != nil {
		return fmt.Errorf("cpio init: %w", err)
	}
	if _, err := cw.Write(probe); err != nil {
		return fmt.Errorf("cpio init: %w", err)
	}
	if len(modules) > 0 {
		for _, d := range []string{"lib", "lib/modules"} {
			if err := cw.WriteHeader(&cpio.Header{Name: d, Mode: cpio.TypeDir | 0o755, Links: 2, ModTime: mtime}); err != nil {
				return fmt.Errorf("cpio %s: %w", d, err)
			}
		}
	}
	for _, m := range modules {
		name := "lib/modules/" + m.name
		if err := cw.WriteHeader(&cpio.Header{Name: name, Mode: cpio.TypeReg | 0o644, Size: int64(len(m.data)), ModTime: mtime}); err != nil {
			return fmt.Errorf("cpio %s: %w", name, err)
		}
		if _, err := cw.Write(m.data); err != nil {
			return fmt.Errorf("cpio %s: %w", name, err)
		}
	}
	if err := cw.Close(); err != nil {
		return fmt.Errorf("cpio close: %w", err)
	}
	return nil
}

// rdevPatcher passes writes through and, when armed, sets the device
// numbers of the next newc header it sees. It relies on the cpio package
// writing a header in one 110-byte Write, and fails loudly (check) if it
// does not.
type rdevPatcher struct {
	w            io.Writer
	armed        bool
	major, minor int64
	patched      bool
}

func (p *rdevPatcher) arm(major, minor int64) {
	p.armed, p.patched, p.major, p.minor = true, false, major, minor
}

func (p *rdevPatcher) Write(b []byte) (int, error) {
	if p.armed && len(b) == newcHeaderLen && bytes.HasPrefix(b, []byte("070701")) {
		h := append([]byte(nil), b...)
		copy(h[78:86], fmt.Sprintf("%08X", p.major))
		copy(h[86:94], fmt.Sprintf("%08X", p.minor))
		p.armed, p.patched = false, true
		return p.w.Write(h)
	}
	return p.w.Write(b)
}

func (p *rdevPatcher) check() error {
	if !p.patched {
		p.armed = false
		return errors.New("device numbers not set: the cpio writer did not write a newc header in one piece")
	}
	return nil
}
