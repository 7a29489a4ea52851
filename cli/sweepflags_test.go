package cli_test

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSweepFlagMistakesAreOneLineAndExitTwo(t *testing.T) {
	for _, c := range []struct {
		args    []string
		mention []string
	}{
		{[]string{"--burst-ladder", "1,x"}, []string{"--burst-ladder", `"x"`, "1,4,16,64"}},
		{[]string{"--burst-ladder", "16,4"}, []string{"not increasing", "1,4,16,64"}},
		{[]string{"--burst", "2000"}, []string{"burst 2000 out of range", "1000"}},
		{[]string{"--burst-budget", "1ms"}, []string{"burst budget 1ms", "100ms to 1h"}},
		{[]string{"--sweep-until", "python-nope"}, []string{`"python-nope"`, "ready", "python-hello"}},
		{[]string{"--arrival-rates", "fast"}, []string{"--arrival-rates", `"fast"`, "2,4,8,16", "0 to skip"}},
		{[]string{"--arrival-rates", "8,4"}, []string{"not increasing"}},
		{[]string{"--arrival-p99", "0s"}, []string{"p99 bound 0s", "1ms to 10m"}},
		{[]string{"--arrival-hold", "1ms"}, []string{"arrival hold 1ms", "100ms to 10m"}},
		{[]string{"--arrival-max-in-flight", "0"}, []string{"in flight 0", "1 to 1000"}},
		{[]string{"--phases", "bursts"}, []string{`"bursts"`, "burst", "arrivals", "workload"}},
	} {
		args := append([]string{"vms", "measure", "docker/runc", "--out", filepath.Join(t.TempDir(), "r.json")}, c.args...)
		r := run(t, args...)
		name := strings.Join(c.args, " ")
		if r.code != 2 {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", name, r.code, r.stderr)
		}
		if strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%s: stderr is not one line: %q", name, r.stderr)
		}
		for _, m := range c.mention {
			if !strings.Contains(r.stderr, m) {
				t.Errorf("%s: stderr %q does not mention %s", name, r.stderr, m)
			}
		}
	}
}
