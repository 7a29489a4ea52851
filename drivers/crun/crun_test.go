package crun

import (
	"slices"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/internal/drivertest"
)

func TestConformance(t *testing.T) {
	drivertest.Conformance(t, func() driver.Driver { return New() })
}

func TestWrapperOnlyOnAHybridHost(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    host.Cgroups
		want bool
	}{
		{"hybrid", host.Cgroups{Mode: host.CgroupHybrid, V2Mount: "/sys/fs/cgroup/unified"}, true},
		{"v1", host.Cgroups{Mode: host.CgroupV1}, false},
		{"v2", host.Cgroups{Mode: host.CgroupV2, V2Mount: "/sys/fs/cgroup"}, false},
		{"none", host.Cgroups{Mode: host.CgroupNone}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := Wrapper(tc.c)
			if (w != nil) != tc.want {
				t.Fatalf("Wrapper(%+v) = %q", tc.c, w)
			}
			if w == nil {
				return
			}
			if !slices.Contains(w, "--mount") || !strings.Contains(w[len(w)-1], "umount '"+tc.c.V2Mount+"'") {
				t.Errorf("wrapper %q does not unmount %s in a private mount namespace", w, tc.c.V2Mount)
			}
		})
	}
}

func TestShellQuoteSurvivesAQuote(t *testing.T) {
	if got := shellQuote("/a'b"); got != `'/a'\''b'` {
		t.Errorf("shellQuote = %s", got)
	}
}
