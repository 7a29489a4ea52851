package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFleetMeasureRefusesABadCommandLineInOneLine(t *testing.T) {
	dir := t.TempDir()
	// A kubeconfig of a cluster that is not there: loopback, a port
	// nothing listens on.
	dead := filepath.Join(dir, "dead.kubeconfig")
	if err := os.WriteFile(dead, []byte(`apiVersion: v1
kind: Config
clusters: [{name: dead, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: dead, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown flag", []string{"fleet", "measure", "--bogus"}, 2, "unknown flag: --bogus"},
		{"bad selector", []string{"fleet", "measure", "--selector", "a in ("}, 2, "--selector"},
		{"selector and nodes", []string{"fleet", "measure", "--selector", "a=b", "--nodes", "n1"}, 2, "give one"},
		{"unknown variant", []string{"fleet", "measure", "--variants", "docker/nosuch"}, 2, "unknown variant or system"},
		{"bad phase", []string{"fleet", "measure", "--phases", "warp"}, 2, "--phases"},
		{"zero timeout", []string{"fleet", "measure", "--timeout", "0s"}, 2, "--timeout"},
		{"argument", []string{"fleet", "measure", "node1"}, 2, ""},
		{"missing kubeconfig", []string{"fleet", "measure", "--kubeconfig", filepath.Join(dir, "none")}, 2, "--kubeconfig"},
		{"no cluster", []string{"fleet", "measure", "--kubeconfig", dead}, 1, "no cluster at"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runPromptly(t, c.args...)
			if r.code != c.code || len(lines(r.stderr)) != 1 || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("%v: exit %d, stderr %q; want exit %d and one line with %q", c.args, r.code, r.stderr, c.code, c.want)
			}
		})
	}
}

// testdata/fleet-set.json is a real fleet run's set of this host's node,
// with a second node made from it and a third that was not measured.
func TestAFleetSetShowsHostByHostUnderItsNodes(t *testing.T) {
	set := filepath.Join("testdata", "fleet-set.json")
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"vms", "results", set}, []string{"ae-kube-node: run", "ae-node-b: run", "ae-kube-node p50", "ae-node-b p50", "docker/runc  start-latency"}},
		{[]string{"vms", "evaluate", "--results", set}, []string{"ae-kube-node FITNESS", "ae-node-b FITNESS"}},
		{[]string{"vms", "results", set, filepath.Join("testdata", "fleet-run.json")}, []string{"ae-kube-node: run", "ae-node-b: run", "C: run"}},
	}
	for _, c := range cases {
		r := run(t, c.args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d, stderr %q", c.args, r.code, r.stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%v: no %q in\n%s", c.args, w, r.stdout)
			}
		}
		if !strings.Contains(r.stderr, "node ae-node-c not measured: image") {
			t.Errorf("%v: the node not measured is not noted on stderr: %q", c.args, r.stderr)
		}
	}
	out := filepath.Join(t.TempDir(), "report.html")
	if r := run(t, "vms", "report", "--results", set, "--out", out); r.code != 0 {
		t.Fatalf("vms report --results %s: exit %d, stderr %q", set, r.code, r.stderr)
	}
}

func TestABadFleetSetIsRefusedInOneLine(t *testing.T) {
	cases := []struct{ file, want string }{
		{"fleet-set-bad-node.json", "unsupported results schema"},
		{"fleet-set-unmeasured.json", "measured no node"},
	}
	for _, c := range cases {
		r := run(t, "vms", "results", filepath.Join("testdata", c.file))
		if r.code != 2 || len(lines(r.stderr)) != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line with %q", c.file, r.code, r.stderr, c.want)
		}
	}
}
