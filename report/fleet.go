package report

import (
	"fmt"
	"strings"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/units"
)

// churnRow is one variant's churn loop, rendered.
type churnRow struct {
	Variant, Workload, Cycles, StoppedBy, Result, Teardown string
	Drift                                                  []string
	Own, HostWide, Time                                    string
	OwnClean                                               bool
}

// capacityRow is one variant's density fill, rendered.
type capacityRow struct {
	Variant, Held, StoppedBy, Slope, Accounting string
	PerGiB, Host, KSM, Time, Note               string
}

func churnRows(res *results.Results) []churnRow {
	var out []churnRow
	for _, v := range res.Systems {
		c := v.Churn
		if c == nil || !v.Fingerprint.Available {
			continue
		}
		r := churnRow{Variant: v.Variant, Workload: c.Workload, Cycles: fmt.Sprint(c.Cycles), StoppedBy: c.StoppedBy,
			Result: "–", Teardown: "–", Own: "–", HostWide: "–", Time: units.Nanos(c.WallNS)}
		if c.Failed > 0 {
			r.Cycles += fmt.Sprintf(" (+%d failed)", c.Failed)
		}
		if c.Result.N > 0 {
			r.Result = fmt.Sprintf("%s [%s, %s]", units.Millis(c.Result.Median), units.Millis(c.Result.Lo), units.Millis(c.Result.Hi))
		}
		if c.Teardown.N > 0 {
			r.Teardown = units.Millis(c.Teardown.Median)
		}
		for _, d := range c.Drift {
			r.Drift = append(r.Drift, d.String())
		}
		if c.Residue != nil {
			r.OwnClean = len(c.Residue.Own) == 0
			r.Own = "none"
			if !r.OwnClean {
				r.Own = strings.Join(c.Residue.Own, "; ")
			}
			var g []string
			for _, d := range c.Residue.Deltas {
				if d.Finding() {
					g = append(g, d.String())
				}
			}
			r.HostWide = "none"
			if len(g) > 0 {
				r.HostWide = strings.Join(g, "; ")
			}
		} else if c.HostStateError != "" {
			r.Own = "not read: " + c.HostStateError
		}
		out = append(out, r)
	}
	return out
}

func capacityRows(res *results.Results) []capacityRow {
	var out []capacityRow
	for _, v := range res.Systems {
		d := v.Density
		if d == nil || d.Capacity == nil || !v.Fingerprint.Available {
			continue
		}
		c := d.Capacity
		r := capacityRow{Variant: v.Variant, Held: fmt.Sprint(c.Held), StoppedBy: d.StoppedBy, Slope: "–", Accounting: "–",
			KSM: c.KSMAfter.State(), Time: units.Nanos(c.WallNS)}
		if c.ReachedGuard {
			r.Held += " (at the guard)"
		}
		if f := c.Fit; f != nil {
			r.Slope = fmt.Sprintf("%.2f MiB [%.2f, %.2f], n=%d, residual SD %.1f MiB", f.Slope, f.Lo, f.Hi, f.N, f.ResidualSD)
			if !c.Stable {
				r.Slope += " (not stable)"
			}
		}
		if m := d.PerInstanceMiB; m.N > 0 {
			r.Accounting = fmt.Sprintf("%.2f MiB [%.2f, %.2f]", m.Median, m.Lo, m.Hi)
		}
		proj := func(p results.Projection) (perGiB, host string) {
			if p.Cause != "" || p.PerGiB <= 0 {
				return "–", "–"
			}
			return fmt.Sprintf("%.0f [%.0f, %.0f]", p.PerGiB, p.PerGiBLo, p.PerGiBHi), fmt.Sprint(p.HostProjection)
		}
		sg, sh := proj(c.BySlope)
		ag, ah := proj(c.ByAccounting)
		r.PerGiB = "slope " + sg + " · accounting " + ag
		r.Host = "slope " + sh + " · accounting " + ah
		var notes []string
		if c.BySlope.Cause != "" {
			notes = append(notes, "slope: "+c.BySlope.Cause)
		}
		notes = append(notes, c.Warnings...)
		r.Note = strings.Join(notes, "; ")
		out = append(out, r)
	}
	return out
}
