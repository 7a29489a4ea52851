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

const schema = "agentic-eval/results/v1"

type doc struct {
	Schema string `json:"schema"`
	RunID  string `json:"run_id"`
	N      int    `json:"n"`
}

func write(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadRefusesWhatIsNotOneResultsDocument(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	good := write(t, filepath.Join(dir, "good.json"), `{"schema":"agentic-eval/results/v1","run_id":"r1"}`+"\n\n")
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	secret := write(t, filepath.Join(outside, "secret.json"), `{"schema":"agentic-eval/results/v1"}`)
	escape := filepath.Join(dir, "escape.json")
	if err := os.Symlink(secret, escape); err != nil {
		t.Fatal(err)
	}
	inside := filepath.Join(dir, "inside.json")
	if err := os.Symlink(good, inside); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(200 << 20); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	small := write(t, filepath.Join(dir, "small-limit.json"), `{"schema":"agentic-eval/results/v1","run_id":"`+strings.Repeat("x", 100)+`"}`)

	for _, c := range []struct {
		name    string
		path    string
		opts    Options
		rule    error    // nil: must succeed
		mention []string // in the error
		never   []string // must not appear in the error
	}{
		{name: "regular file", path: good},
		{name: "symlink inside the allowed dir", path: inside, opts: Options{Dirs: []string{dir}}},
		{name: "FIFO", path: fifo, rule: ErrNotRegular, mention: []string{fifo, "a FIFO", "only regular files"}},
		{name: "character device", path: "/dev/null", rule: ErrNotRegular, mention: []string{"/dev/null", "a character device"}},
		{name: "directory", path: dir, rule: ErrNotRegular, mention: []string{"a directory"}},
		{name: "stdin of the process", path: "/proc/self/fd/0", rule: ErrNotRegular},
		{name: "symlink escaping the allowed dir", path: escape, opts: Options{Dirs: []string{dir}}, rule: ErrOutside, mention: []string{escape, "outside", "allowed directories"}},
		{name: "absolute path outside the allowed dir", path: secret, opts: Options{Dirs: []string{dir}}, rule: ErrOutside},
		{name: "dot-dot out of the allowed dir", path: filepath.Join(dir, "..", filepath.Base(outside), "secret.json"), opts: Options{Dirs: []string{dir}}, rule: ErrOutside},
		{name: "too big", path: big, rule: ErrTooLarge, mention: []string{"200 MiB", "the limit is 64 MiB"}},
		{name: "over a small limit", path: small, opts: Options{MaxBytes: 64}, rule: ErrTooLarge, mention: []string{"the limit is 64 bytes"}},
		{name: "trailing garbage", path: write(t, filepath.Join(dir, "trailing.json"), `{"schema":"agentic-eval/results/v1"} SECRET`), rule: ErrTrailing, never: []string{"SECRET"}},
		{name: "second document", path: write(t, filepath.Join(dir, "two.json"), `{"schema":"agentic-eval/results/v1"}{"schema":"agentic-eval/results/v1"}`), rule: ErrTrailing},
		{name: "wrong schema of another tool", path: write(t, filepath.Join(dir, "other.json"), `{"schema":"SECRET-TOOL/v9"}`), rule: ErrNotResults, mention: []string{"not an agentic-eval results document", schema}, never: []string{"SECRET"}},
		{name: "newer schema of ours", path: write(t, filepath.Join(dir, "v2.json"), `{"schema":"agentic-eval/results/v2"}`), rule: ErrUnsupported, mention: []string{"agentic-eval/results/v2", "this tool reads " + schema}},
		{name: "no schema", path: write(t, filepath.Join(dir, "none.json"), `{"SECRET":"x"}`), rule: ErrNotResults, mention: []string{"no schema field"}, never: []string{"SECRET"}},
		{name: "not an object", path: write(t, filepath.Join(dir, "array.json"), `["SECRET"]`), rule: ErrNotResults, never: []string{"SECRET"}},
		{name: "empty file", path: write(t, filepath.Join(dir, "empty.json"), ""), rule: ErrNotResults, mention: []string{"is empty"}},
		{name: "whitespace only", path: write(t, filepath.Join(dir, "blank.json"), " \n\t"), rule: ErrNotResults, mention: []string{"is empty"}},
		{name: "truncated JSON", path: write(t, filepath.Join(dir, "truncated.json"), `{"schema":"agentic-eval/results/v1","run_id":"ab`), rule: ErrNotJSON, mention: []string{"truncated"}},
		{name: "not JSON, first byte not echoed", path: write(t, filepath.Join(dir, "shadow"), "root:$6$SECRET:19000::::::\n"), rule: ErrNotJSON, mention: []string{"syntax error at byte 1"}, never: []string{"'r'", "SECRET", "root"}},
		{name: "wrong field type, value not echoed", path: write(t, filepath.Join(dir, "type.json"), `{"schema":"agentic-eval/results/v1","n":"SECRET"}`), mention: []string{"field", "n", "int"}, never: []string{"SECRET"}, rule: errors.New("any")},
		{name: "missing file", path: filepath.Join(dir, "missing.json"), rule: os.ErrNotExist, mention: []string{"no such file"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.opts.Schemas == nil {
				c.opts.Schemas = []string{schema}
			}
			done := make(chan error, 1)
			var got doc
			go func() { done <- Read(c.path, &got, c.opts) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("Read(%s) blocked", c.path)
			}
			if c.rule == nil {
				if err != nil || got.Schema != schema {
					t.Fatalf("Read: %v, document %+v", err, got)
				}
				return
			}
			if err == nil {
				t.Fatalf("Read succeeded, want an error")
			}
			msg := err.Error()
			if c.rule.Error() != "any" && !errors.Is(err, c.rule) {
				t.Errorf("error %q does not wrap %v", msg, c.rule)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if !strings.Contains(msg, "results file ") {
				t.Errorf("error %q does not name the results file", msg)
			}
			for _, m := range c.mention {
				if !strings.Contains(msg, m) {
					t.Errorf("error %q lacks %q", msg, m)
				}
			}
			for _, n := range c.never {
				if strings.Contains(msg, n) {
					t.Errorf("error %q echoes the content %q", msg, n)
				}
			}
		})
	}
}

func TestErrorsShortenALongPath(t *testing.T) {
	long := filepath.Join(t.TempDir(), strings.Repeat("a", 200)+".json")
	err := Read(long, &doc{}, Options{Schemas: []string{schema}})
	if err == nil {
		t.Fatal("read a missing file")
	}
	if strings.Contains(err.Error(), strings.Repeat("a", 81)) || !strings.Contains(err.Error(), "…") {
		t.Errorf("error %q does not shorten the path", err)
	}
}

func TestDecodeReadsAStreamUnderTheSameRules(t *testing.T) {
	opts := Options{Schemas: []string{schema}, MaxBytes: 1 << 10}
	for _, c := range []struct {
		name, body string
		rule       error
	}{
		{"one document", `{"schema":"agentic-eval/results/v1","run_id":"x"}`, nil},
		{"endless stream is cut at the limit", `{"schema":"agentic-eval/results/v1","run_id":"` + strings.Repeat("x", 4<<10) + `"}`, ErrTooLarge},
		{"trailing data", `{"schema":"agentic-eval/results/v1"}x`, ErrTrailing},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d doc
			err := Decode(strings.NewReader(c.body), &d, opts)
			switch {
			case c.rule == nil && (err != nil || d.RunID != "x"):
				t.Errorf("Decode: %v, %+v", err, d)
			case c.rule != nil && !errors.Is(err, c.rule):
				t.Errorf("Decode error %v, want %v", err, c.rule)
			}
		})
	}
}

func TestResolveDirsRefusesAFileOrMissingDir(t *testing.T) {
	dir := t.TempDir()
	file := write(t, filepath.Join(dir, "f"), "x")
	for _, c := range []struct {
		name string
		dirs []string
		ok   bool
	}{
		{"directory", []string{dir}, true},
		{"file", []string{file}, false},
		{"missing", []string{filepath.Join(dir, "missing")}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			roots, err := ResolveDirs(c.dirs)
			if c.ok != (err == nil) || (c.ok && len(roots) != 1) {
				t.Errorf("ResolveDirs(%v) = %v, %v", c.dirs, roots, err)
			}
		})
	}
}
