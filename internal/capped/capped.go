// Package capped reads small files this tool wrote (run records, image
// manifests) as the untrusted input a file on disk always is: a regular
// file, bounded, checked on the descriptor it opened, never by its name
// alone.
//
// Its opinion: a file that is not what it claims is refused before a byte
// is read, and a file that grows while read is refused too. (Results files
// given by users and agents have a reader of their own, in package
// results, with directory confinement and schema checks on top.)
package capped

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// The rules a file can break.
var (
	ErrNotRegular = errors.New("not a regular file")
	ErrTooLarge   = errors.New("too large")
)

// ReadFile reads the regular file at path, of at most max bytes. It opens
// it without following a final symlink, without blocking (a FIFO cannot
// hang it) and without taking a controlling terminal, then checks the
// descriptor: anything but a regular file is ErrNotRegular, more than max
// bytes (before or while reading) is ErrTooLarge. Errors name the path.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%s: a symlink: %w", path, ErrNotRegular)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, more than %d: %w", path, fi.Size(), max, ErrTooLarge)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: grew past %d bytes while read: %w", path, max, ErrTooLarge)
	}
	return b, nil
}
