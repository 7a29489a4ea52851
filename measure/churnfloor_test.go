package measure

import (
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/stats"
)

func TestDriftFromSmallGroupsSaysItSeesOnlyGrossDrift(t *testing.T) {
	for _, c := range []struct {
		n    int
		weak bool
	}{{20, true}, {99, true}, {100, false}} {
		vals := make([]float64, c.n)
		for i := range vals {
			vals[i] = 30 + float64(i%3)
		}
		d := stats.DriftOf("first-result", vals, "ms")
		weak := strings.Contains(strings.Join(d.Warnings, " "), "only a gross drift")
		if d.Verdict != stats.DriftNone || weak != c.weak {
			t.Errorf("n=%d: %s, warnings %q; want no drift, weak=%v", c.n, d.Verdict, d.Warnings, c.weak)
		}
	}
}

func TestChurnNeedIsThePaceTimesTheCyclesTheTestNeeds(t *testing.T) {
	cases := []struct {
		spent  time.Duration
		cycles int
		want   time.Duration
	}{
		{3 * time.Second, 30, 1100 * time.Millisecond},         // a container: 100 ms a cycle
		{6100 * time.Millisecond, 1, 67100 * time.Millisecond}, // QEMU under TCG: its warm-up alone
		{time.Second, 0, 11 * time.Second},
	}
	for _, c := range cases {
		if got := churnNeed(c.spent, c.cycles); got != c.want {
			t.Errorf("churnNeed(%s, %d) = %s, want %s", c.spent, c.cycles, got, c.want)
		}
	}
}
