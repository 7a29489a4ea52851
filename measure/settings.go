package measure

import (
	"fmt"
	"strings"
	"time"
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
	return []Phase{PhaseStartLatency, PhaseBurst, PhaseDensity, PhaseChurn, PhaseIsolation, PhaseSnapshot, PhaseWorkload}
}

// Settings are the knobs of a run, recorded in its results.
type Settings struct {
	Samples int `json:"samples"` // start-latency samples counted
	Warmups int `json:"warmups"` // start-latency spawns before counting
	Burst   int `json:"burst"`   // spawns at once; 0 skips the phase
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
	Forks     int           `json:"forks"` // restores from one snapshot after the first
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
}

// DefaultSettings are the defaults: 20 samples plus 2 warm-ups, a
// burst of 8, a density fill of at most 16 idle sandboxes up to 4 at a
// time for at most 12 s (stopping once the slope is stable), 200 churn
// cycles or 3 s, 4 forks, 30 s per operation, and a 20% MemAvailable
// floor.
func DefaultSettings() Settings {
	return Settings{
		Samples: 20, Warmups: 2, Burst: 8, Density: 16, Forks: 4,
		DensityTime: 12 * time.Second, FillConcurrency: 4,
		Churn: 200, ChurnTime: 3 * time.Second,
		OpTimeout: 30 * time.Second, MinAvailable: 0.20, DropCaches: true,
		Phases: AllPhases(), Workload: DefaultWorkloadSettings(),
	}
}

// Validate reports the first setting out of range, saying what is valid.
func (s Settings) Validate() error {
	switch {
	case s.Samples < 1 || s.Samples > 10000:
		return fmt.Errorf("samples %d out of range: want 1 to 10000", s.Samples)
	case s.Warmups < 0 || s.Warmups > 1000:
		return fmt.Errorf("warm-ups %d out of range: want 0 to 1000", s.Warmups)
	case s.Burst < 0 || s.Burst > 1000:
		return fmt.Errorf("burst %d out of range: want 0 (skip) to 1000", s.Burst)
	case s.Density < 0 || s.Density > 10000:
		return fmt.Errorf("density %d out of range: want 0 (skip) to 10000", s.Density)
	case s.Has(PhaseDensity) && s.Density > 0 && (s.DensityTime < time.Second || s.DensityTime > 24*time.Hour):
		return fmt.Errorf("density time %s out of range: want 1s to 24h", s.DensityTime)
	case s.Has(PhaseDensity) && s.Density > 0 && (s.FillConcurrency < 1 || s.FillConcurrency > 64):
		return fmt.Errorf("fill concurrency %d out of range: want 1 to 64 sandboxes started at once", s.FillConcurrency)
	case s.Churn < 0 || s.Churn > MaxChurn:
		return fmt.Errorf("churn %d out of range: want 0 (skip) to %d cycles", s.Churn, MaxChurn)
	case s.Has(PhaseChurn) && s.Churn > 0 && (s.ChurnTime < 100*time.Millisecond || s.ChurnTime > 24*time.Hour):
		return fmt.Errorf("churn time %s out of range: want 100ms to 24h", s.ChurnTime)
	case s.Forks < 0 || s.Forks > 100:
		return fmt.Errorf("forks %d out of range: want 0 to 100", s.Forks)
	case s.OpTimeout < 100*time.Millisecond || s.OpTimeout > time.Hour:
		return fmt.Errorf("operation timeout %s out of range: want 100ms to 1h", s.OpTimeout)
	case s.MinAvailable < 0 || s.MinAvailable >= 1:
		return fmt.Errorf("memory floor %v out of range: want a fraction from 0 to below 1", s.MinAvailable)
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
			return nil, fmt.Errorf("unknown phase %q: valid phases are %s", name, strings.Join(valid, ", "))
		}
	}
	return out, nil
}
