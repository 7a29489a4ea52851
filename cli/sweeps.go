package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/units"
	"github.com/agentic-eval/agentic-eval/workload"
)

// sweepFlags are the knobs of the burst ladder and the arrival ladder.
type sweepFlags struct {
	ladder, rates, until  string
	burstBudget           time.Duration
	hold, bound, arrivals time.Duration
	inFlight              int
	seed                  uint64
}

func joinInts(v []int) string {
	var s []string
	for _, n := range v {
		s = append(s, strconv.Itoa(n))
	}
	return strings.Join(s, ",")
}

func joinRates(v []float64) string {
	var s []string
	for _, r := range v {
		s = append(s, strconv.FormatFloat(r, 'g', -1, 64))
	}
	return strings.Join(s, ",")
}

func (f *sweepFlags) add(fl *pflag.FlagSet) {
	def := results.DefaultSettings()
	fl.StringVar(&f.ladder, "burst-ladder", joinInts(def.BurstLadder), "burst levels (spawns at once) climbed below --burst, comma-separated, increasing")
	fl.DurationVar(&f.burstBudget, "burst-budget", def.BurstBudget, "time budget of the burst ladder per variant: a level that would exceed it is not started")
	fl.StringVar(&f.until, "sweep-until", def.SweepUntil, "what the burst and arrival sweeps time each spawn until: ready (the probe's ready line) or a workload ("+workload.PythonHello+"); drivers without the image use ready")
	fl.StringVar(&f.rates, "arrival-rates", joinRates(def.Arrivals.Rates), "open-loop arrival rates per second, comma-separated, increasing; 0 skips the arrival phase")
	fl.DurationVar(&f.hold, "arrival-hold", def.Arrivals.Hold, "how long each arrival rate is offered")
	fl.DurationVar(&f.bound, "arrival-p99", def.Arrivals.P99Bound, "a rate is held when every arrival is done and its p99, from the scheduled arrival, is under this bound")
	fl.DurationVar(&f.arrivals, "arrival-budget", def.Arrivals.Budget, "time budget of the arrival ladder per variant")
	fl.IntVar(&f.inFlight, "arrival-max-in-flight", def.Arrivals.MaxInFlight, "arrivals under way at once at most (the memory guard may lower it); a held-back arrival's wait counts")
	fl.Uint64Var(&f.seed, "arrival-seed", 0, "seed of the Poisson schedules (0: a fresh one, recorded in the results)")
}

// apply sets the sweeps' settings from the flags; Settings.Validate checks
// their ranges.
func (f *sweepFlags) apply(s *results.Settings) error {
	s.BurstLadder = nil
	for _, part := range strings.Split(f.ladder, ",") {
		part = strings.TrimSpace(part)
		n, err := strconv.Atoi(part)
		if err != nil {
			return usagef("--burst-ladder: %q is not a whole number: want levels such as 1,4,16,64", part)
		}
		s.BurstLadder = append(s.BurstLadder, n)
	}
	s.Arrivals.Rates = nil
	if r := strings.TrimSpace(f.rates); r != "0" {
		for _, part := range strings.Split(r, ",") {
			part = strings.TrimSpace(part)
			v, err := strconv.ParseFloat(part, 64)
			if err != nil {
				return usagef("--arrival-rates: %q is not a number: want rates per second such as 2,4,8,16, or 0 to skip", part)
			}
			s.Arrivals.Rates = append(s.Arrivals.Rates, v)
		}
	}
	s.BurstBudget, s.SweepUntil = f.burstBudget, strings.TrimSpace(f.until)
	s.Arrivals.Hold, s.Arrivals.P99Bound, s.Arrivals.Budget = f.hold, f.bound, f.arrivals
	s.Arrivals.MaxInFlight, s.Arrivals.Seed = f.inFlight, f.seed
	return nil
}

// sweepTables are the burst ladder and the arrival ladder, one row per
// level and per rate; nil when the run measured neither.
func sweepTables(res *results.Results) []*Table {
	burst := NewTable("VARIANT", "BURST k", "UNTIL", "OK", "FIRST", "ALL", "p50", "p99*", "SPAWNS/s", "KNEE", "HARNESS CPU / RSS")
	burst.AlignRight(1, 3, 4, 5, 6, 7, 8)
	arr := NewTable("VARIANT", "RATE/s", "UNTIL", "OFFERED/s", "ACHIEVED/s", "DONE", "p50", "p99*", "HELD", "HARNESS CPU / RSS", "LATE SENDS max")
	arr.AlignRight(1, 3, 4, 5, 6, 7, 10)
	var nb, na int
	for _, v := range res.Systems {
		if sw := v.BurstOf(); sw != nil {
			knee := "not reached"
			if sw.Knee > 0 {
				knee = fmt.Sprintf("k=%d", sw.Knee)
			}
			for i, l := range sw.Levels {
				nb++
				if i > 0 {
					knee = ""
				}
				k := strconv.Itoa(l.K)
				if l.CappedBy != "" {
					k += fmt.Sprintf(" (of %d)", l.Wanted)
				}
				row := []string{v.Variant, k, l.Until, fmt.Sprintf("%d/%d", l.Started, l.K), "-", "-", "-", "-", "failed", knee, costCell(l.Harness)}
				if l.Measured() {
					row[4], row[5] = units.Millis(float64(l.FirstNS)/1e6), units.Millis(float64(l.AllNS)/1e6)
					row[6], row[7], row[8] = units.Millis(l.P50MS), units.Millis(l.P99MS), fmt.Sprintf("%.1f", l.SpawnsPerSecond)
				}
				burst.AddRow(row...)
			}
			if len(sw.Levels) == 0 {
				nb++
				burst.AddRow(v.Variant, "-", sw.Until, "", "", "", "", "", "", "", "not measured: "+sw.StoppedBy)
			}
		}
		if a := v.Arrivals; a != nil {
			for _, rt := range a.Rates {
				na++
				held := "yes"
				if !rt.Held {
					held = "no: " + rt.Why
				}
				p99 := units.Millis(rt.P99MS)
				if rt.P99LowerBound {
					p99 = "≥ " + p99
				}
				row := []string{v.Variant, strconv.FormatFloat(rt.Rate, 'g', -1, 64), a.Until, fmt.Sprintf("%.1f", rt.Offered), fmt.Sprintf("%.1f", rt.Achieved),
					fmt.Sprintf("%d/%d", rt.Done, rt.Scheduled), "-", p99, held, costCell(rt.Harness), units.Millis(float64(rt.DispatchLagMaxNS) / 1e6)}
				if rt.Done > 0 {
					row[6] = units.Millis(rt.P50MS)
				}
				arr.AddRow(row...)
			}
			if len(a.Rates) == 0 {
				na++
				arr.AddRow(v.Variant, "-", a.Until, "", "", "", "", "", "not measured: "+a.StoppedBy, "", "")
			}
		}
	}
	var out []*Table
	if nb > 0 {
		out = append(out, burst)
	}
	if na > 0 {
		out = append(out, arr)
	}
	return out
}

// sweepNotes are the sweeps' lines under the tables: the knee, the highest
// rate held and why each climb stopped.
func sweepNotes(res *results.Results) string {
	var b strings.Builder
	any := false
	for _, v := range res.Systems {
		if sw := v.BurstOf(); sw != nil {
			any = true
			switch {
			case sw.Knee > 0:
				fmt.Fprintf(&b, "%s: burst knee at k=%d", v.Variant, sw.Knee)
			default:
				fmt.Fprintf(&b, "%s: burst knee %s", v.Variant, sw.KneeNote)
			}
			if sw.StoppedBy != "" {
				fmt.Fprintf(&b, "; stopped: %s", sw.StoppedBy)
			}
			if sw.Converted {
				b.WriteString(" (a single burst of an older document)")
			}
			if sw.UntilNote != "" {
				fmt.Fprintf(&b, "; %s", sw.UntilNote)
			}
			b.WriteString("\n")
		}
		if a := v.Arrivals; a != nil {
			any = true
			if a.HighestHeld > 0 {
				fmt.Fprintf(&b, "%s: highest arrival rate held %g/s (p99 from scheduled arrival under %s)", v.Variant, a.HighestHeld, time.Duration(a.BoundNS))
			} else {
				fmt.Fprintf(&b, "%s: no arrival rate held under the p99 bound of %s: %s", v.Variant, time.Duration(a.BoundNS), a.HeldNote)
			}
			if a.StoppedBy != "" {
				fmt.Fprintf(&b, "; stopped: %s", a.StoppedBy)
			}
			b.WriteString("\n")
		}
	}
	if any {
		b.WriteString("p99*: nearest rank; below 100 samples it is the maximum. Arrival latencies run from each arrival's scheduled instant (open loop); LATE SENDS is the harness's own lateness in sending a request, already inside those latencies.\n")
	}
	return b.String()
}

func costCell(c *results.HarnessCost) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf("%.1f%% of a core / %.0f MiB", c.CPUShare*100, float64(c.RSSBytes)/(1<<20))
}

// burstCell is the results table's one-cell summary of a burst sweep.
func burstCell(sw *results.BurstSweep) string {
	if sw == nil {
		return "-"
	}
	best := 0.0
	top := 0
	for _, l := range sw.Levels {
		if l.Measured() {
			best = max(best, l.SpawnsPerSecond)
			top = l.K
		}
	}
	if top == 0 && len(sw.Levels) == 0 && sw.StoppedBy != "" {
		return "not run (budget)" // the reason is in the notes
	}
	if top == 0 {
		return "failed"
	}
	if len(sw.Levels) == 1 {
		l := sw.Levels[0]
		return fmt.Sprintf("%d/%d, %.1f/s", l.Started, l.K, l.SpawnsPerSecond)
	}
	knee := "none"
	if sw.Knee > 0 {
		knee = strconv.Itoa(sw.Knee)
	}
	return fmt.Sprintf("max %.1f/s, knee %s", best, knee)
}
