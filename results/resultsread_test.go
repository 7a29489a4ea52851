package results

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The reading functions go through Open and Decode: their rules hold
// here (the rules themselves are tested there).
func TestReadResultsFileKeepsTheSafeReadersRules(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	trailing := filepath.Join(dir, "trailing.json")
	os.WriteFile(trailing, []byte(`{"schema":"`+Schema+`"} garbage`), 0o600)
	good := filepath.Join(other, "good.json")
	os.WriteFile(good, []byte(`{"schema":"`+Schema+`","run_id":"r"}`), 0o600)
	for _, c := range []struct {
		name string
		read func() (*Results, error)
		rule error
	}{
		{"fifo", func() (*Results, error) { return ReadResultsFile(fifo) }, ErrNotRegular},
		{"trailing data", func() (*Results, error) { return ReadResultsFile(trailing) }, ErrTrailing},
		{"outside the allowed dirs", func() (*Results, error) { return ReadResultsFileIn(good, []string{dir}) }, ErrOutside},
		{"stream with trailing data", func() (*Results, error) {
			return ReadResults(strings.NewReader(`{"schema":"` + Schema + `"}{}`))
		}, ErrTrailing},
	} {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := c.read(); done <- err }()
			select {
			case err := <-done:
				if !errors.Is(err, c.rule) {
					t.Errorf("error %v, want %v", err, c.rule)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("read blocked")
			}
		})
	}
	if res, err := ReadResultsFileIn(good, []string{other}); err != nil || res.RunID != "r" {
		t.Errorf("ReadResultsFileIn inside its dir: %v, %+v", err, res)
	}
}
