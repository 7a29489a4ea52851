package capped

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadFileReadsOnlyABoundedRegularFile(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "ok")
	if err := os.WriteFile(regular, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(regular, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path string
		max        int64
		want       error
		wantMsg    string
	}{
		{"regular, within the cap", regular, 10, nil, ""},
		{"regular, over the cap", regular, 9, ErrTooLarge, "more than 9"},
		{"a symlink", link, 10, ErrNotRegular, "symlink"},
		{"a FIFO, which must not block", fifo, 10, ErrNotRegular, ""},
		{"a directory", dir, 10, ErrNotRegular, ""},
		{"missing", filepath.Join(dir, "none"), 10, os.ErrNotExist, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := ReadFile(c.path, c.max)
			if c.want == nil {
				if err != nil || string(b) != "0123456789" {
					t.Fatalf("ReadFile = %q, %v", b, err)
				}
				return
			}
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.wantMsg) {
				t.Errorf("ReadFile error %v, want %v saying %q", err, c.want, c.wantMsg)
			}
		})
	}
}
