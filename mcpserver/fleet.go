package mcpserver

import "github.com/agentic-eval/agentic-eval/results"

// FleetFigures are the fleet-scale phases' summaries for one variant: the
// burst ladder, the open-loop arrivals, the capacity fill and the churn
// loop. Each is a single trial per level on the host that ran it.
type FleetFigures struct {
	Burst    *BurstFigures    `json:"burst,omitempty" jsonschema:"k spawns requested at once per level, with the knee where throughput stops rising"`
	Arrivals *ArrivalFigures  `json:"arrivals,omitempty" jsonschema:"open-loop Poisson arrivals per rate, latencies from each scheduled arrival"`
	Capacity *CapacityFigures `json:"capacity,omitempty" jsonschema:"idle sandboxes filled a batch at a time: memory per sandbox by slope and by accounting, projected"`
	Churn    *ChurnFigures    `json:"churn,omitempty" jsonschema:"create, run, destroy in a loop: drift from the first tenth to the last, and residue"`
}

// BurstFigures is the burst ladder.
type BurstFigures struct {
	Until     string             `json:"until" jsonschema:"what each spawn was timed to: ready (the probe's line) or a workload's verified result"`
	Knee      int                `json:"knee,omitempty" jsonschema:"the last level before throughput stopped rising, 0 when not found"`
	KneeNote  string             `json:"knee_note,omitempty"`
	StoppedBy string             `json:"stopped_by,omitempty"`
	Levels    []BurstLevelFigure `json:"levels"`
}

// BurstLevelFigure is one level of the ladder.
type BurstLevelFigure struct {
	K               int     `json:"k"`
	Started         int     `json:"started"`
	Failed          int     `json:"failed"`
	SpawnsPerSecond float64 `json:"spawns_per_second"`
	P50MS           float64 `json:"p50_ms"`
	P99MS           float64 `json:"p99_ms" jsonschema:"nearest rank: the maximum below 100 spawns"`
}

// ArrivalFigures is the arrival ladder.
type ArrivalFigures struct {
	BoundMS     float64             `json:"p99_bound_ms"`
	HighestHeld float64             `json:"highest_held_per_s" jsonschema:"the highest rate held with every arrival done, none failed and p99 under the bound; 0 for none"`
	HeldNote    string              `json:"held_note,omitempty"`
	Rates       []ArrivalRateFigure `json:"rates"`
}

// ArrivalRateFigure is one rate of the ladder.
type ArrivalRateFigure struct {
	Rate          float64 `json:"rate_per_s"`
	Achieved      float64 `json:"achieved_per_s"`
	Done          int     `json:"done"`
	Failed        int     `json:"failed"`
	P50MS         float64 `json:"p50_ms"`
	P99MS         float64 `json:"p99_ms"`
	P99LowerBound bool    `json:"p99_lower_bound,omitempty" jsonschema:"arrivals still under way were cut: the true p99 is higher"`
}

// CapacityFigures is the density fill.
type CapacityFigures struct {
	Held           int     `json:"held"`
	StoppedBy      string  `json:"stopped_by,omitempty"`
	SlopeMiB       float64 `json:"slope_mib_per_sandbox,omitempty"`
	SlopeLoMiB     float64 `json:"slope_ci_lo,omitempty"`
	SlopeHiMiB     float64 `json:"slope_ci_hi,omitempty"`
	AccountingMiB  float64 `json:"accounting_mib_per_sandbox,omitempty" jsonschema:"PSS outside the sandbox's cgroup plus the cgroup's charge: the rubric's density figure"`
	PerGiB         float64 `json:"per_gib_by_accounting,omitempty"`
	ThisHostByAcct int64   `json:"this_host_by_accounting,omitempty" jsonschema:"sandboxes this host's memory above the 20% guard would hold, by accounting"`
	KSMRunning     bool    `json:"ksm_running"`
}

// ChurnFigures is the churn loop.
type ChurnFigures struct {
	Cycles     int           `json:"cycles"`
	Workload   string        `json:"workload"`
	StoppedBy  string        `json:"stopped_by"`
	Result     Figure        `json:"result"`
	Drift      []DriftFigure `json:"drift"`
	OwnResidue []string      `json:"own_residue,omitempty" jsonschema:"objects of the run left after the loop: must be none"`
	Findings   []string      `json:"findings,omitempty" jsonschema:"residue and host-wide growth, each with its figure (host-wide ones are noisy on a shared host)"`
}

// DriftFigure is one series' drift.
type DriftFigure struct {
	Series    string  `json:"series"`
	ChangePct float64 `json:"change_pct"`
	P         float64 `json:"p"`
	Verdict   string  `json:"verdict"`
}

func fleetFigures(v results.VariantResult) *FleetFigures {
	var f FleetFigures
	if b := v.BurstOf(); b != nil {
		bf := &BurstFigures{Until: b.Until, Knee: b.Knee, KneeNote: b.KneeNote, StoppedBy: b.StoppedBy}
		for _, l := range b.Levels {
			bf.Levels = append(bf.Levels, BurstLevelFigure{K: l.K, Started: l.Started, Failed: l.Failed,
				SpawnsPerSecond: round3(l.SpawnsPerSecond), P50MS: round3(l.P50MS), P99MS: round3(l.P99MS)})
		}
		f.Burst = bf
	}
	if a := v.Arrivals; a != nil {
		af := &ArrivalFigures{BoundMS: round3(float64(a.BoundNS) / 1e6), HighestHeld: a.HighestHeld, HeldNote: a.HeldNote}
		for _, r := range a.Rates {
			af.Rates = append(af.Rates, ArrivalRateFigure{Rate: r.Rate, Achieved: round3(r.Achieved), Done: r.Done, Failed: r.Failed,
				P50MS: round3(r.P50MS), P99MS: round3(r.P99MS), P99LowerBound: r.P99LowerBound})
		}
		f.Arrivals = af
	}
	if d := v.Density; d != nil && d.Capacity != nil {
		c := d.Capacity
		cf := &CapacityFigures{Held: c.Held, StoppedBy: d.StoppedBy, KSMRunning: c.KSMAfter.Run == 1}
		if c.Fit != nil {
			cf.SlopeMiB, cf.SlopeLoMiB, cf.SlopeHiMiB = round3(c.Fit.Slope), round3(c.Fit.Lo), round3(c.Fit.Hi)
		}
		cf.AccountingMiB = round3(d.PerInstanceMiB.Median)
		cf.PerGiB = round3(c.ByAccounting.PerGiB)
		cf.ThisHostByAcct = c.ByAccounting.HostProjection
		f.Capacity = cf
	}
	if c := v.Churn; c != nil {
		cf := &ChurnFigures{Cycles: c.Cycles, Workload: c.Workload, StoppedBy: c.StoppedBy, Result: figure(c.Result)}
		for _, d := range c.Drift {
			cf.Drift = append(cf.Drift, DriftFigure{Series: d.Series, ChangePct: round3(d.ChangePct), P: round3(d.P), Verdict: d.Verdict})
		}
		if c.Residue != nil {
			cf.OwnResidue, cf.Findings = c.Residue.Own, c.Residue.Findings
		}
		f.Churn = cf
	}
	if f.Burst == nil && f.Arrivals == nil && f.Capacity == nil && f.Churn == nil {
		return nil
	}
	return &f
}
