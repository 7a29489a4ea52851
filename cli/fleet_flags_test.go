package cli_test

import (
	"strings"
	"testing"
)

// A bad value of a churn or capacity flag is one line on stderr saying
// what is valid, and exit status 2, before anything is measured.
func TestFleetFlagsAreValidated(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--churn", "-1"}, "churn -1 out of range: want 0 (skip) to 100000 cycles"},
		{[]string{"--churn-time", "5ms"}, "churn time 5ms out of range: want 100ms to 24h"},
		{[]string{"--density-time", "0s"}, "density time 0s out of range: want 1s to 24h"},
		{[]string{"--fill-concurrency", "65"}, "fill concurrency 65 out of range: want 1 to 64"},
	} {
		t.Run(c.args[0], func(t *testing.T) {
			r := run(t, append([]string{"vms", "measure", "runc"}, c.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want 2 and one line with %q", r.code, r.stderr, c.want)
			}
		})
	}
}
