package results

import (
	"fmt"
	"strings"
	"time"

	"github.com/agentic-eval/agentic-eval/workload"
)

// Phase is one measurement the harness can run on a driver.
type Phase string

// The phases, in the order a run performs them.
const (
	PhaseStartLatency Phase = "start-latency"
	PhaseBurst        Phase = "burst"
	PhaseDensity      Phase = "density"
	PhaseIsolation    Phase = "isolation"
	PhaseSnapshot     Phase = "snapshot"
)

// AllPhases lists every phase in run order.
func AllPhases() []Phase {
	return []Phase{PhaseStartLatency, PhaseBurst, PhaseArrivals, PhaseDensity, PhaseChurn, PhaseIsolation, PhaseSnapshot, PhaseWorkload}
}

// DefaultPhases are what a default run measures: everything the rubric
// scores (start latency to the first Python result, density, isolation,
// snapshotting, the lifecycle operations) and the burst ladder, within the
// two-minute budget on a two-core host. The fleet characterizations that
// take their own time, open-loop arrivals and churn, run when named
// (--phases), as does everything with --phases all.
func DefaultPhases() []Phase {
	return []Phase{PhaseStartLatency, PhaseBurst, PhaseDensity, PhaseIsolation, PhaseSnapshot, PhaseWorkload}
}

// Settings are the knobs of a run, recorded in its results.
type Settings struct {
	// Samples is the hard maximum of start-latency samples counted (and of
	// restores); MinSamples the fewest. Between the two a measurement stops
	// once its median's interval is within ±Precision, or at the ceiling
	// that PhaseBudget buys at the cost per sample observed (see
	// Sampling). The workload phase's samples and warm runs follow the same
	// rule under their own hard maxima.
	Samples    int     `json:"samples"`
	MinSamples int     `json:"min_samples"`
	Precision  float64 `json:"precision"`
	// PhaseBudget is the wall time one repeated measurement of one variant
	// may take (its floor is never cut): divided by the cost per sample it
	// is the measurement's ceiling on n. 0 is no limit but the hard maxima.
	PhaseBudget time.Duration `json:"phase_budget_ns"`
	Warmups     int           `json:"warmups"` // start-latency spawns before counting
	Burst       int           `json:"burst"`   // the burst ladder's largest level; 0 skips the phase
	Forks       int           `json:"forks"`   // restores from one snapshot after the first
	// Density is the most idle sandboxes the density fill holds at once
	// (it stops earlier once its slope is stable, unless Capacity); 0
	// skips the phase.
	Density int `json:"density"`
	// DensityTime bounds the density fill's time.
	DensityTime time.Duration `json:"density_time_ns,omitempty"`
	// FillConcurrency is how many sandboxes the fill starts at once.
	FillConcurrency int `json:"fill_concurrency,omitempty"`
	// Capacity fills to the memory guard (or Density, or DensityTime):
	// no stop at a stable slope.
	Capacity bool `json:"capacity,omitempty"`
	// Churn is the most create-run-destroy cycles per variant, ChurnTime
	// their time budget, whichever ends first; 0 cycles skips the phase.
	Churn     int           `json:"churn,omitempty"`
	ChurnTime time.Duration `json:"churn_time_ns,omitempty"`
	// OpTimeout bounds every single runtime operation (start to ready,
	// destroy, snapshot, restore): a hung runtime becomes a failure.
	OpTimeout time.Duration `json:"op_timeout_ns"`
	// MinAvailable is the fraction of MemTotal that must stay available:
	// density stops adding sandboxes before the host falls under it.
	MinAvailable float64 `json:"min_available_fraction"`
	// DropCaches drops the page cache before MemAvailable readings.
	DropCaches bool    `json:"drop_caches"`
	Phases     []Phase `json:"phases"`
	// Workload is the workload phase's settings.
	Workload WorkloadSettings `json:"workload"`
	// BurstLadder are the burst levels below Burst (DefaultBurstLadder when
	// empty; see BurstLevels); BurstBudget bounds the phase per variant.
	BurstLadder []int         `json:"burst_ladder,omitempty"`
	BurstBudget time.Duration `json:"burst_budget_ns,omitempty"`
	// SweepUntil is what the sweeps time each spawn until (see sweep.go).
	SweepUntil string `json:"sweep_until,omitempty"`
	// Arrivals is the arrival phase's settings.
	Arrivals ArrivalSettings `json:"arrivals"`
}

// DefaultSettings are a run sized for the two-minute budget: start latency
// from 6 samples to a hard maximum of 1000 (no warm-up, as hyperfine's
// default: the median and its order-statistics interval shrug off one cold
// first start; --warmups on a cold host), stopping once the median is
// known within ±10% or at the ceiling that 3 s buy at the cost per sample
// seen (a 10 ms start gets about 300, a 3 s boot its floor of 6); the time
// to interactive, warm runs and restores follow the same rule; bursts of 1, 4, 16 and
// 64 in 3 s timed to python-hello's first result; a density fill of at
// most 16 idle sandboxes, 4 at a time, for at most 6 s, stopping once the
// slope is stable; the arrival ladder of DefaultArrivalSettings and 200
// churn cycles or 3 s, when those phases are named; 4 forks, 30 s per
// operation, and a 20% MemAvailable floor.
func DefaultSettings() Settings {
	return Settings{
		Samples: 1000, MinSamples: 6, Precision: 0.10, PhaseBudget: 3 * time.Second,
		Warmups: 0, Density: 16, Forks: 4,
		DensityTime: 6 * time.Second, FillConcurrency: 4,
		Churn: 200, ChurnTime: 3 * time.Second,
		OpTimeout: 30 * time.Second, MinAvailable: 0.20, DropCaches: true,
		Phases: DefaultPhases(), Workload: DefaultWorkloadSettings(),
		Burst: 64, BurstLadder: DefaultBurstLadder(), BurstBudget: 3 * time.Second,
		SweepUntil: workload.PythonHello, Arrivals: DefaultArrivalSettings(),
	}
}

// Validate reports the first setting out of range, saying what is valid.
func (s Settings) Validate() error {
	switch {
	case s.Samples < 1 || s.Samples > 10000:
		return fmt.Errorf("samples %d out of range: want 1 to 10000", s.Samples)
	case s.MinSamples < 1 || s.MinSamples > s.Samples:
		return fmt.Errorf("minimum samples %d out of range: want 1 to the most samples (%d)", s.MinSamples, s.Samples)
	case s.Precision < 0 || s.Precision >= 1:
		return fmt.Errorf("precision %v out of range: want a fraction from 0 (never stop early) to below 1, e.g. 0.1 for ±10%%", s.Precision)
	case s.PhaseBudget < 0 || s.PhaseBudget > 24*time.Hour:
		return fmt.Errorf("phase budget %s out of range: want 0 (none) to 24h", s.PhaseBudget)
	case s.Warmups < 0 || s.Warmups > 1000:
		return fmt.Errorf("warm-ups %d out of range: want 0 to 1000", s.Warmups)
	case s.Burst < 0 || s.Burst > 1000:
		return fmt.Errorf("burst %d out of range: want 0 (skip) to 1000", s.Burst)
	case s.Density < 0 || s.Density > 10000:
		return fmt.Errorf("density %d out of range: want 0 (skip) to 10000", s.Density)
	case s.Density > 0 && (s.DensityTime < time.Second || s.DensityTime > 24*time.Hour):
		return fmt.Errorf("density time %s out of range: want 1s to 24h", s.DensityTime)
	case s.Has(PhaseDensity) && s.Density > 0 && (s.FillConcurrency < 1 || s.FillConcurrency > 64):
		return fmt.Errorf("fill concurrency %d out of range: want 1 to 64 sandboxes started at once", s.FillConcurrency)
	case s.Churn < 0 || s.Churn > MaxChurn:
		return fmt.Errorf("churn %d out of range: want 0 (skip) to %d cycles", s.Churn, MaxChurn)
	case s.Churn > 0 && (s.ChurnTime < 100*time.Millisecond || s.ChurnTime > 24*time.Hour):
		return fmt.Errorf("churn time %s out of range: want 100ms to 24h", s.ChurnTime)
	case s.Forks < 0 || s.Forks > 100:
		return fmt.Errorf("forks %d out of range: want 0 to 100", s.Forks)
	case s.OpTimeout < 100*time.Millisecond || s.OpTimeout > time.Hour:
		return fmt.Errorf("operation timeout %s out of range: want 100ms to 1h", s.OpTimeout)
	case s.MinAvailable < 0 || s.MinAvailable >= 1:
		return fmt.Errorf("memory floor %v out of range: want a fraction from 0 to below 1", s.MinAvailable)
	}
	if err := s.validateSweeps(); err != nil {
		return err
	}
	if s.Has(PhaseWorkload) {
		return s.Workload.Validate()
	}
	return nil
}

// Has reports whether the phase is enabled.
func (s Settings) Has(p Phase) bool {
	for _, q := range s.Phases {
		if q == p {
			return true
		}
	}
	return false
}

// ParsePhases reads a comma-separated list of phase names.
func ParsePhases(list string) ([]Phase, error) {
	if strings.EqualFold(strings.TrimSpace(list), "all") {
		return AllPhases(), nil
	}
	var out []Phase
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(strings.ToLower(name))
		found := false
		for _, p := range AllPhases() {
			if string(p) == name {
				out = append(out, p)
				found = true
			}
		}
		if !found {
			var valid []string
			for _, p := range AllPhases() {
				valid = append(valid, string(p))
			}
			return nil, fmt.Errorf("unknown phase %q: valid phases are %s, or all", name, strings.Join(valid, ", "))
		}
	}
	return out, nil
}
