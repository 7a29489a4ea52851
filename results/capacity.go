package results

import (
	"fmt"
	"math"
	"time"

	"github.com/agentic-eval/agentic-eval/memstat"
	"github.com/agentic-eval/agentic-eval/stats"
)

// The fill's modes.
const (
	// FillStable stops filling once the slope is stable (StableRule), at
	// the cap, at the time bound or at the memory guard: enough sandboxes
	// for the per-instance cost, and a fast run.
	FillStable = "stable"
	// FillGuard (--capacity) fills until the memory guard, the cap or the
	// time bound: how many sandboxes this host really holds.
	FillGuard = "guard"
)

// Stable-slope rule: at least StableMinHeld sandboxes held, and the
// slope's 95% interval no wider than ±StableRelTol of the slope or
// ±StableAbsTolMiB, whichever is larger. Below about half a MiB the
// difference moves no score (the rubric's density is 1.0 up to 5 MiB per
// sandbox), and a shared host's MemAvailable seldom resolves finer.
const (
	StableMinHeld   = 8
	StableRelTol    = 0.10
	StableAbsTolMiB = 0.5
)

// A --capacity fill's bounds when none is given: the most sandboxes
// Settings.Validate allows, and ten minutes.
const (
	MaxCapacityFill = 10000
	CapacityTime    = 10 * time.Minute
)

// StableRule states the rule, for the record.
var StableRule = fmt.Sprintf("stop once at least %d sandboxes are held and the slope's %.0f%% interval is within ±%.0f%% of it or ±%.1f MiB, whichever is larger",
	StableMinHeld, stats.Confidence*100, StableRelTol*100, StableAbsTolMiB)

// Capacity is the density fill's account: host memory in use read after
// each batch of sandboxes, its least-squares slope against the number
// held (the per-instance cost), and what follows for this host.
type Capacity struct {
	Mode string `json:"mode"` // FillStable or FillGuard
	// Concurrency is the largest batch the fill started at once.
	Concurrency int `json:"concurrency"`
	// StopRule is the rule the fill stopped by (StableRule in FillStable
	// mode), and Stable whether the slope met it.
	StopRule string      `json:"stop_rule"`
	Stable   bool        `json:"stable"`
	Points   []FillPoint `json:"points"`
	// Fit is host memory in use (MemTotal - MemAvailable, MiB) against
	// the number held; nil with FitError when the points are too few.
	Fit      *stats.Slope `json:"fit,omitempty"`
	FitError string       `json:"fit_error,omitempty"`
	// GuardBytes is the MemAvailable the fill never goes under
	// (Settings.MinAvailable of MemTotal).
	MemTotalBytes int64 `json:"mem_total_bytes"`
	GuardBytes    int64 `json:"guard_bytes"`
	// BySlope and ByAccounting project the two methods' per-instance
	// costs to sandboxes per GiB and to this host.
	BySlope      Projection `json:"by_slope"`
	ByAccounting Projection `json:"by_accounting"`
	// ReachedGuard is set when the fill stopped at the memory guard: Held
	// is then the capacity measured, not projected.
	ReachedGuard bool        `json:"reached_guard,omitempty"`
	Held         int         `json:"held"`
	KSMBefore    memstat.KSM `json:"ksm_before"`
	KSMAfter     memstat.KSM `json:"ksm_after"`
	// FillNS is the fill's time; WallNS the phase's, readings and
	// teardown included.
	FillNS   int64    `json:"fill_ns"`
	WallNS   int64    `json:"wall_ns"`
	Warnings []string `json:"warnings,omitempty"`
}

// FillPoint is one reading of the fill: how many sandboxes were held and
// the host's memory then.
type FillPoint struct {
	Held              int   `json:"held"`
	UsedBytes         int64 `json:"used_bytes"` // MemTotal - MemAvailable
	MemAvailableBytes int64 `json:"mem_available_bytes"`
	AtNS              int64 `json:"at_ns"` // since the fill began
}

// Projection is a per-instance cost carried to the host: sandboxes per
// GiB, how many more fit before the guard from where the fill began, and
// how many this host's memory holds above the guard.
type Projection struct {
	Method        string  `json:"method"` // "slope" or "accounting"
	MiBPerSandbox float64 `json:"mib_per_sandbox,omitempty"`
	// Lo and Hi bound the cost (the slope's interval, or the median's).
	Lo float64 `json:"lo,omitempty"`
	Hi float64 `json:"hi,omitempty"`
	// PerGiB is 1024 / MiBPerSandbox, PerGiBLo and PerGiBHi from Hi and Lo.
	PerGiB   float64 `json:"per_gib,omitempty"`
	PerGiBLo float64 `json:"per_gib_lo,omitempty"`
	PerGiBHi float64 `json:"per_gib_hi,omitempty"`
	// FitsFromStart is (MemAvailable at the fill's start - guard) / cost;
	// HostProjection is (MemTotal - guard) / cost: this host, empty.
	FitsFromStart  int64 `json:"fits_from_start,omitempty"`
	HostProjection int64 `json:"host_projection,omitempty"`
	// Cause says why nothing is projected (no cost, an interval that
	// includes zero).
	Cause string `json:"cause,omitempty"`
}

// Project carries a per-instance cost (MiB, with its interval) to the
// host: total and availStart are MemTotal and MemAvailable at the start,
// guard the floor, all in bytes.
func Project(method string, mib, lo, hi float64, total, availStart, guard int64) Projection {
	p := Projection{Method: method, MiBPerSandbox: mib, Lo: lo, Hi: hi}
	switch {
	case mib <= 0 || math.IsNaN(mib):
		p.Cause = fmt.Sprintf("no positive cost per sandbox (%.2f MiB): the host's noise exceeds what the sandboxes cost", mib)
		return p
	case lo <= 0:
		p.Cause = fmt.Sprintf("the cost's interval [%.2f, %.2f] MiB includes zero: the host's noise is larger than the sandboxes' cost", lo, hi)
		p.PerGiB = 1024 / mib
		return p
	}
	p.PerGiB, p.PerGiBLo, p.PerGiBHi = 1024/mib, 1024/hi, 1024/lo
	per := mib * (1 << 20)
	if availStart > guard {
		p.FitsFromStart = int64(float64(availStart-guard) / per)
	}
	if total > guard {
		p.HostProjection = int64(float64(total-guard) / per)
	}
	return p
}
