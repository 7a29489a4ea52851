package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/agentic-eval/agentic-eval/results"
)

// checkOut makes sure the results can be written to path before a
// measurement runs for minutes: its directory exists and takes a new file,
// and path itself, if it exists, is a regular file to replace. Every failure
// is a usage error naming the path and the rule.
func checkOut(path string) error {
	shown, dir := shorten(path), filepath.Dir(path)
	if path == "" { // the default name lands in the working directory
		shown, dir = "(default)", "."
	}
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return usagef("--out %s: directory %s does not exist or cannot be read: the results file's directory must exist before the run", shown, shorten(dir))
	case !fi.IsDir():
		return usagef("--out %s: %s is not a directory: the results file's directory must exist before the run", shown, shorten(dir))
	}
	if fi, err := os.Lstat(path); path != "" && err == nil && !fi.Mode().IsRegular() {
		return usagef("--out %s exists and is not a regular file: --out names a file to create or replace", shown)
	}
	probe, err := os.CreateTemp(dir, ".agentic-eval-out-check-*")
	if err != nil {
		return usagef("--out %s: directory %s is not writable: the results are written there after the run", shown, shorten(dir))
	}
	name := probe.Name()
	probe.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("--out %s: remove the write check %s: %w", shown, name, err)
	}
	return nil
}

// shorten is an argument fit to echo in an error: quoted, at most 80
// characters.
func shorten(s string) string { return results.Shorten(s) }
