package cli

import (
	"fmt"
	"strings"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/units"
)

// fleetTables are the churn and capacity tables of a run, each only when
// some variant measured it.
func fleetTables(res *results.Results) []*Table {
	var out []*Table
	if t := churnTable(res); t != nil {
		out = append(out, t)
	}
	if t := capacityTable(res); t != nil {
		out = append(out, t)
	}
	return out
}

// churnTable is one row per variant that churned: cycles, the result's
// and teardown's medians, their drift and what the loop left.
func churnTable(res *results.Results) *Table {
	t := NewTable("VARIANT", "CHURN", "CYCLES", "STOPPED BY", "RESULT p50 [95% CI]", "TEARDOWN p50", "RESULT DRIFT (first → last tenth)", "TEARDOWN DRIFT", "OWN RESIDUE", "HOST-WIDE GROWTH (noisy)", "TIME")
	t.AlignRight(2, 4, 5, 10)
	any := false
	for _, v := range res.Systems {
		c := v.Churn
		if c == nil {
			continue
		}
		any = true
		result := "-"
		if c.Result.N > 0 {
			result = fmt.Sprintf("%s [%s, %s]", units.Millis(c.Result.Median), units.Millis(c.Result.Lo), units.Millis(c.Result.Hi))
		}
		drift := []string{"-", "-"}
		for i, d := range c.Drift {
			if i < 2 {
				drift[i] = driftCell(d)
			}
		}
		own, wide := residueCells(c)
		cycles := fmt.Sprint(c.Cycles)
		if c.Failed > 0 {
			cycles += fmt.Sprintf(" (+%d failed)", c.Failed)
		}
		t.AddRow(v.Variant, c.Workload, cycles, c.StoppedBy, result, msOr(c.Teardown), drift[0], drift[1], own, wide, units.Nanos(c.WallNS))
	}
	if !any {
		return nil
	}
	return t
}

// driftCell is "30.1 → 31.0 ms (+3.0%), p=0.41: no drift"; a "no drift"
// from groups under measure.DriftWeakGroup says what so few cycles can
// see: "no gross drift (2×5)".
func driftCell(d stats.Drift) string {
	if d.K == 0 {
		return fmt.Sprintf("%s (n=%d)", d.Verdict, d.N)
	}
	verdict := d.Verdict
	if d.Verdict == stats.DriftNone && d.K < stats.DriftWeakGroup {
		verdict = fmt.Sprintf("no gross drift (2×%d)", d.K)
	}
	return fmt.Sprintf("%s → %s (%+.0f%%), p=%.2g: %s", units.Millis(d.FirstMedian), units.Millis(d.LastMedian), d.ChangePct, d.P, verdict)
}

// residueCells are the run's own residue ("none", or a count) and the
// host-wide growths, each with its figure.
func residueCells(c *results.Churn) (own, wide string) {
	if c.Residue == nil {
		if c.HostStateError != "" {
			return "not read: " + oneLine(c.HostStateError), "-"
		}
		return "-", "-"
	}
	own = "none"
	if n := len(c.Residue.Own); n > 0 {
		own = fmt.Sprintf("%d: %s", n, strings.Join(c.Residue.Own, "; "))
	}
	var g []string
	for _, d := range c.Residue.Deltas {
		if d.Finding() {
			g = append(g, strings.Replace(d.String(), ", host-wide: noisy", "", 1))
		}
	}
	wide = "none"
	if len(g) > 0 {
		wide = strings.Join(g, "; ")
	}
	return own, wide
}

// capacityTable is one row per variant that filled: how many were held
// and why the fill stopped, the slope with its interval, the accounting
// beside it, sandboxes per GiB and the projection to this host, KSM.
func capacityTable(res *results.Results) *Table {
	t := NewTable("VARIANT", "HELD", "STOPPED BY", "SLOPE MiB/SANDBOX [95% CI]", "ACCOUNTING MiB [95% CI]", "PER GiB (slope / accounting)", "THIS HOST (slope / accounting)", "KSM", "TIME")
	t.AlignRight(1, 3, 4, 5, 6, 8)
	any := false
	for _, v := range res.Systems {
		d := v.Density
		if d == nil || d.Capacity == nil {
			continue
		}
		any = true
		c := d.Capacity
		slope := "-"
		if c.Fit != nil {
			slope = fmt.Sprintf("%.2f [%.2f, %.2f] (n=%d, R²=%.2f)", c.Fit.Slope, c.Fit.Lo, c.Fit.Hi, c.Fit.N, c.Fit.R2)
			if !c.Stable {
				slope += " unstable"
			}
		} else if c.FitError != "" {
			slope = "- (" + c.FitError + ")"
		}
		acct := "-"
		if m := d.PerInstanceMiB; m.N > 0 {
			acct = fmt.Sprintf("%.2f [%.2f, %.2f]", m.Median, m.Lo, m.Hi)
		}
		held := fmt.Sprint(c.Held)
		if c.ReachedGuard {
			held += " (at the guard)"
		}
		t.AddRow(v.Variant, held, short(d.StoppedBy), slope, acct,
			projCell(c.BySlope.PerGiB, c.BySlope)+" / "+projCell(c.ByAccounting.PerGiB, c.ByAccounting),
			projCell(float64(c.BySlope.HostProjection), c.BySlope)+" / "+projCell(float64(c.ByAccounting.HostProjection), c.ByAccounting),
			c.KSMAfter.State(), units.Nanos(c.WallNS))
	}
	if !any {
		return nil
	}
	return t
}

// projCell is a projected figure, or "-" where the cost did not support
// one (its interval includes zero, or there was none).
func projCell(v float64, p results.Projection) string {
	if p.Cause != "" || v <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}

// short is a stop reason up to its first colon: "cap", "stable slope",
// "time bound", "memory guard".
func short(s string) string {
	if head, _, ok := strings.Cut(s, ":"); ok {
		return head
	}
	return s
}

// fleetNotes are the lines under the tables that a figure of the fleet
// phases needs: residue of the run, why a fill stopped, projections not
// made, warnings.
func fleetNotes(v results.VariantResult) []string {
	var out []string
	if c := v.Churn; c != nil {
		if c.WorkloadCause != "" {
			out = append(out, fmt.Sprintf("%s: churn: %s", v.Variant, c.WorkloadCause))
		}
		if c.Residue != nil {
			for _, o := range c.Residue.Own {
				out = append(out, fmt.Sprintf("%s: churn left: %s", v.Variant, o))
			}
		}
		for _, w := range c.Warnings {
			out = append(out, fmt.Sprintf("%s: churn: %s", v.Variant, w))
		}
	}
	if d := v.Density; d != nil && d.Capacity != nil {
		c := d.Capacity
		if c.BySlope.Cause != "" {
			out = append(out, fmt.Sprintf("%s: capacity by slope not projected: %s", v.Variant, c.BySlope.Cause))
		}
		for _, w := range c.Warnings {
			out = append(out, fmt.Sprintf("%s: capacity: %s", v.Variant, w))
		}
	}
	return out
}
