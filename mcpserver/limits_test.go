package mcpserver_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/agentic-eval/agentic-eval/mcpserver"
)

// results_path names a file on the server's host chosen by an agent: it is
// read only if it is a regular results file inside the results
// directories, promptly, and the error never carries the file's content.
func TestResultsPathIsReadOnlyFromTheResultsDirsAndNeverEchoed(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(outside, "secret")
	os.WriteFile(secret, []byte("root:SECRET:19000::::::\n"), 0o600)
	escape := filepath.Join(dir, "escape.json")
	if err := os.Symlink(secret, escape); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "foreign.json")
	os.WriteFile(foreign, []byte(`{"schema":"SECRET-config/v1","token":"SECRET"}`), 0o600)
	shadowLike := filepath.Join(dir, "shadow")
	os.WriteFile(shadowLike, []byte("root:SECRET:19000::::::\n"), 0o600)
	trailing := filepath.Join(dir, "trailing.json")
	fix, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(trailing, append(fix, []byte("SECRET")...), 0o600)
	longPath := filepath.Join(dir, strings.Repeat("p", 1<<20))

	cs := connectWith(t, mcpserver.Options{Version: "test", ResultsDirs: []string{dir}})
	for _, c := range []struct {
		name, path string
		want       []string
	}{
		{"fifo", fifo, []string{"a FIFO", "only regular files are read"}},
		{"the server's own stdin", "/proc/self/fd/0", []string{"results_path"}},
		{"a pty master", "/dev/ptmx", []string{"outside", "allowed directories"}},
		{"a file outside the dirs", secret, []string{"outside", "allowed directories"}},
		{"a symlink out of the dirs", escape, []string{"outside", "allowed directories"}},
		{"another tool's JSON", foreign, []string{"not an agentic-eval results document"}},
		{"a file that is not JSON", shadowLike, []string{"not JSON", "syntax error at byte 1"}},
		{"trailing data", trailing, []string{"exactly one JSON document"}},
		{"a 1 MiB path", longPath, []string{"results_path", "bytes long", "the limit is 4096 bytes"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, tool := range []string{"evaluate", "recommend"} {
				args := map[string]any{"results_path": c.path}
				if tool == "recommend" {
					args["workload"] = "balanced"
				}
				res := callRaw(t, cs, tool, args) // a read that blocks fails there, at its guard
				msg := text(res)
				if !res.IsError {
					t.Fatalf("%s read %s: %s", tool, c.path, msg)
				}
				for _, w := range c.want {
					if !strings.Contains(msg, w) {
						t.Errorf("%s: error %q lacks %q", tool, msg, w)
					}
				}
				if strings.Contains(msg, "SECRET") || strings.Contains(msg, "'r'") || len(msg) > 1000 {
					t.Errorf("%s: error echoes content or is long (%d bytes): %.300q", tool, len(msg), msg)
				}
			}
		})
	}
	// The server still answers after all that: nothing consumed its stream.
	if res := callRaw(t, cs, "list_presets", map[string]any{}); res.IsError {
		t.Errorf("list_presets after the bad paths: %s", text(res))
	}
}

func TestALongArgumentIsNeverEchoedWhole(t *testing.T) {
	cs := connect(t)
	for _, c := range []struct {
		name string
		tool string
		args map[string]any
	}{
		{"a 1 MiB system name", "show_system", map[string]any{"name": strings.Repeat("x", 1<<20)}},
		{"a 200-character system name", "show_system", map[string]any{"name": strings.Repeat("y", 200)}},
		{"a 200-character preset", "rank_systems", map[string]any{"preset": strings.Repeat("z", 200)}},
		{"a 200-character unknown argument", "show_system", map[string]any{"name": "fc", strings.Repeat("k", 200): 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := callRaw(t, cs, c.tool, c.args)
			msg := text(res)
			if !res.IsError {
				t.Fatalf("%s succeeded: %.200s", c.tool, msg)
			}
			if len(msg) > 1000 || strings.Contains(msg, strings.Repeat(string(firstRune(c.args)), 81)) {
				t.Errorf("error is %d bytes or echoes more than 80 characters of the argument: %.300q", len(msg), msg)
			}
		})
	}
}

// firstRune is the repeated character of the case's long string.
func firstRune(args map[string]any) rune {
	for k, v := range args {
		if len(k) > 80 {
			return rune(k[0])
		}
		if s, ok := v.(string); ok && len(s) > 80 {
			return rune(s[0])
		}
	}
	return 0
}
