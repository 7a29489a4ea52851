package stats

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// run feeds values to a sampler until it asks for no more, and returns how
// many it took and why it stopped.
func run(s Sampling, next func(i int) float64) (int, *Stop) {
	sp := s.Begin()
	for i := 0; sp.More(); i++ {
		sp.Add(next(i))
	}
	return sp.N(), sp.Result()
}

func TestSamplingStops(t *testing.T) {
	steady := func(i int) float64 { return 100 + float64(i%3) } // within ±2%
	// Alternating 50 and 150: the median's interval never narrows.
	noisy := func(i int) float64 { return 50 + 100*float64(i%2) }
	cases := []struct {
		name   string
		s      Sampling
		next   func(int) float64
		n      int
		reason string
	}{
		{"a tight interval stops at the floor", Sampling{Min: 10, Max: 100, Precision: 0.10}, steady, 10, StopPrecision},
		{"a wide interval runs to the ceiling", Sampling{Min: 10, Max: 40, Precision: 0.10}, noisy, 40, StopMax},
		{"no precision always runs to the ceiling", Sampling{Min: 5, Max: 30}, steady, 30, StopMax},
		{"a spent budget stops just past the floor", Sampling{Min: 8, Max: 100, Precision: 0.01, Budget: time.Nanosecond}, noisy, 8, StopBudget},
		{"the floor holds under a spent budget", Sampling{Min: 12, Max: 100, Budget: time.Nanosecond}, noisy, 12, StopBudget},
		{"a floor above the ceiling stops at the ceiling", Sampling{Min: 50, Max: 20, Precision: 0.5}, steady, 20, StopMax},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, stop := run(c.s, c.next)
			if n != c.n || stop.Reason != c.reason {
				t.Fatalf("took %d samples, stopped for %q (%s); want %d for %q", n, stop.Reason, stop.Message, c.n, c.reason)
			}
			if stop.Message == "" {
				t.Error("a stop without a message")
			}
		})
	}
}

// clocked feeds values to a sampler whose every sample costs cost on a
// clock of its own: the derived ceiling without timing anything.
func clocked(s Sampling, cost time.Duration, next func(i int) float64) (int, *Stop) {
	t := time.Unix(0, 0)
	sp := s.BeginAt(func() time.Time { return t })
	for i := 0; sp.More(); i++ {
		t = t.Add(cost)
		sp.Add(next(i))
	}
	return sp.N(), sp.Result()
}

func TestSamplingCeilingIsWhatTheBudgetBuys(t *testing.T) {
	spread := lognormal(7, 2000, 10, 0.3)
	fromSpread := func(i int) float64 { return spread[i] }
	alternating := func(i int) float64 { return float64(time.Millisecond) * (5 + 10*float64(i%2)) }
	cases := []struct {
		name    string
		s       Sampling
		cost    time.Duration
		next    func(int) float64
		n       int // 0: any n from lo to hi
		lo, hi  int
		reason  string
		ceiling int
	}{
		{"a cheap figure takes what the budget buys", Sampling{Min: 6, Max: 1000, Budget: time.Second}, 10 * time.Millisecond, fromSpread, 100, 0, 0, StopBudget, 100},
		{"an expensive one keeps its floor", Sampling{Min: 6, Max: 1000, Precision: 0.01, Budget: 5 * time.Second}, 3 * time.Second, fromSpread, 6, 0, 0, StopBudget, 6},
		{"the hard maximum caps a generous budget", Sampling{Min: 6, Max: 50, Budget: time.Hour}, time.Millisecond, fromSpread, 50, 0, 0, StopMax, 50},
		{"a spread sample narrows within the budget", Sampling{Min: 6, Max: 1000, Precision: 0.10, Budget: 5 * time.Second}, 10 * time.Millisecond, fromSpread, 0, 12, 200, StopPrecision, 500},
		{"a precision the budget cannot buy stops early", Sampling{Min: 6, Max: 1000, Precision: 0.005, Budget: time.Second}, 10 * time.Millisecond, fromSpread, 0, 12, 40, StopOutOfReach, 100},
		{"two alternating modes are out of reach", Sampling{Min: 6, Max: 1000, Precision: 0.10, Budget: time.Second}, 10 * time.Millisecond, alternating, 12, 0, 0, StopOutOfReach, 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, stop := clocked(c.s, c.cost, c.next)
			if stop.Reason != c.reason || (c.n > 0 && n != c.n) || (c.n == 0 && (n < c.lo || n > c.hi)) {
				t.Fatalf("took %d samples, stopped for %q (%s); want %d (or %d to %d) for %q", n, stop.Reason, stop.Message, c.n, c.lo, c.hi, c.reason)
			}
			if stop.Ceiling != c.ceiling || (c.s.Budget > 0 && stop.CostNS != int64(c.cost)) {
				t.Errorf("ceiling %d at %d ns a sample; want %d at %d", stop.Ceiling, stop.CostNS, c.ceiling, c.cost)
			}
		})
	}
}

func TestSamplingStopSaysTheShape(t *testing.T) {
	crunLike := func(i int) float64 { // two modes, every other sample slow
		return float64(time.Millisecond) * (6.5 + 0.1*float64(i%7) + 10*float64(i%2))
	}
	_, stop := clocked(Sampling{Min: 6, Max: 40, Precision: 0.10}, time.Millisecond, crunLike)
	if stop.Reason != StopMax || stop.Shape != "bimodal, alternating" || !strings.Contains(stop.Message, "near") {
		t.Fatalf("stop %+v; want the hard maximum, with both modes named", stop)
	}
	_, stop = clocked(Sampling{Min: 6, Max: 100, Precision: 0.10}, time.Millisecond, func(int) float64 { return 7e6 })
	if stop.Shape != "" {
		t.Fatalf("a tight interval has shape %q", stop.Shape)
	}
}

func TestSamplingPrecisionNeedsAnInterval(t *testing.T) {
	// Five identical samples cannot give a 95% interval for the median
	// without assumptions: even a generous precision must wait for more.
	n, stop := run(Sampling{Min: 2, Max: 100, Precision: 0.5}, func(int) float64 { return 7 })
	if n < 6 || stop.Reason != StopPrecision {
		t.Fatalf("stopped at n=%d for %q; want the first n with an interval (6) for precision", n, stop.Reason)
	}
}

func TestSamplingHaltAndResult(t *testing.T) {
	sp := Sampling{Min: 3, Max: 10}.Begin()
	sp.Add(1)
	sp.Halt(StopFailures, "3 consecutive failures")
	sp.Halt(StopInterrupted, "later reasons do not replace the first")
	if sp.More() {
		t.Fatal("a halted sampler asks for more")
	}
	stop := sp.Result()
	if stop.Reason != StopFailures || stop.HalfWidth != 0 {
		t.Fatalf("stop %+v; want failures with no interval", stop)
	}
	// One sample has no interval: the stop must still encode as JSON.
	b, err := json.Marshal(stop)
	if err != nil {
		t.Fatalf("stop does not encode: %v", err)
	}
	if !strings.Contains(string(b), `"reason":"failures"`) {
		t.Fatalf("encoded %s", b)
	}

	// A loop that ran out of its own count without asking says so.
	sp = Sampling{Min: 1, Max: 5}.Begin()
	sp.Add(1)
	sp.Add(2)
	if got := sp.Result(); got.Reason != StopMax || !strings.Contains(got.Message, "2 samples") {
		t.Fatalf("result %+v", got)
	}
}
