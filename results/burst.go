package results

import (
	"fmt"

	"github.com/agentic-eval/agentic-eval/stats"
)

// KneeFactor is the knee rule's factor: a level's throughput must be at
// least this times the previous measured level's to count as still rising.
const KneeFactor = 1.10

// KneeRule states the rule Knee applies, recorded in every sweep.
const KneeRule = "the knee is the last level before the first measured level whose spawns/s is under 1.10 times the previous measured level's; levels that produced nothing are gaps, skipped, never zeros"

// BurstSweep is the burst phase's result: the levels climbed, the knee and
// why the climb stopped.
type BurstSweep struct {
	// Until is what each spawn was timed until: UntilReady, or the workload
	// whose first verified result ended it (per level too).
	Until string `json:"until"`
	// UntilNote says why a workload was wanted and not timed, if so.
	UntilNote string `json:"until_note,omitempty"`
	// Ladder is the levels asked for (Settings.BurstLevels).
	Ladder []int        `json:"ladder"`
	Levels []BurstLevel `json:"levels"`
	// Knee is the level past which throughput stopped rising (KneeRule);
	// 0 when it was not reached: KneeNote says why.
	Knee     int    `json:"knee,omitempty"`
	KneeNote string `json:"knee_note,omitempty"`
	KneeRule string `json:"knee_rule"`
	// StoppedBy says why the climb ended before the ladder's top, if so.
	StoppedBy string `json:"stopped_by,omitempty"`
	// BudgetNS is the phase's time budget; ElapsedNS what it took.
	BudgetNS  int64 `json:"budget_ns"`
	ElapsedNS int64 `json:"elapsed_ns"`
	// Harness is the harness's own cost during the largest level climbed.
	Harness *HarnessCost `json:"harness,omitempty"`
	// Converted says the sweep was read from a document written before the
	// ladder (its single "burst" object).
	Converted bool `json:"converted,omitempty"`
}

// BurstLevel is one level: K spawns requested at the same instant.
type BurstLevel struct {
	K int `json:"k"`
	// Until is what each spawn was timed until (BurstSweep.Until).
	Until string `json:"until"`
	// CappedBy says why fewer than the ladder's level were asked for (the
	// memory guard), if so; Wanted is the ladder's level then.
	CappedBy string `json:"capped_by,omitempty"`
	Wanted   int    `json:"wanted,omitempty"`
	Started  int    `json:"started"` // spawns that reached Until
	Failed   int    `json:"failed"`
	// Failures are the failed spawns' causes, classified.
	Failures []Failure `json:"failures,omitempty"`
	// SamplesNS are the successful spawns' times, request to Until;
	// ReadyNS the same spawns' times to the ready line.
	SamplesNS []int64       `json:"samples_ns"`
	ReadyNS   []int64       `json:"ready_ns,omitempty"`
	Summary   stats.Summary `json:"summary"`
	// P50MS and P99MS are nearest-rank percentiles of SamplesNS: below 100
	// samples the p99 is the maximum.
	P50MS float64 `json:"p50_ms"`
	P99MS float64 `json:"p99_ms"`
	// FirstNS is from the shared request instant to the first spawn done,
	// AllNS to the last successful one (the level's wall time).
	FirstNS int64 `json:"first_ns"`
	AllNS   int64 `json:"all_ns"`
	// SuccessRate is Started / K.
	SuccessRate float64 `json:"success_rate"`
	// SpawnsPerSecond is Started / AllNS; absent when nothing succeeded.
	SpawnsPerSecond float64 `json:"spawns_per_second,omitempty"`
	// TeardownNS is how long destroying the level's sandboxes took.
	TeardownNS int64 `json:"teardown_ns"`
	// Harness is the harness's own cost during this level.
	Harness *HarnessCost `json:"harness,omitempty"`
}

// Measured reports whether the level produced a throughput figure.
func (l BurstLevel) Measured() bool { return l.Started > 0 && l.AllNS > 0 }

// Knee applies KneeRule to levels in climbing order: it returns the knee's
// K, or 0 and why none was found.
func Knee(levels []BurstLevel) (int, string) {
	var prev *BurstLevel
	measured := 0
	for i := range levels {
		l := &levels[i]
		if !l.Measured() {
			continue
		}
		measured++
		if prev != nil && l.SpawnsPerSecond < KneeFactor*prev.SpawnsPerSecond {
			return prev.K, ""
		}
		prev = l
	}
	switch {
	case measured == 0:
		return 0, "no level produced a throughput figure"
	case measured == 1:
		return 0, fmt.Sprintf("only one level measured (k=%d): no knee can be seen", prev.K)
	default:
		return 0, fmt.Sprintf("not reached: throughput still rose at k=%d, the last level measured", prev.K)
	}
}

// BurstOf is a variant's burst sweep, whichever document it came from: a
// document written before the ladder has a single burst, read as a sweep
// of one level (Converted).
func (vr *VariantResult) BurstOf() *BurstSweep {
	if vr.BurstSweep != nil || vr.Burst == nil {
		return vr.BurstSweep
	}
	b := vr.Burst
	lvl := BurstLevel{K: b.K, Until: UntilReady, Started: b.Started, Failed: b.K - b.Started,
		SamplesNS: b.SamplesNS, Summary: b.Summary, AllNS: b.WallNS, SpawnsPerSecond: b.SpawnsPerSecond}
	if b.K > 0 {
		lvl.SuccessRate = float64(b.Started) / float64(b.K)
	}
	vals := stats.Millis(Durations(b.SamplesNS))
	lvl.P50MS, lvl.P99MS = stats.NearestRank(vals, 0.50), stats.NearestRank(vals, 0.99)
	if len(b.SamplesNS) > 0 {
		minNS := b.SamplesNS[0]
		for _, v := range b.SamplesNS {
			minNS = min(minNS, v)
		}
		lvl.FirstNS = minNS
	}
	sw := &BurstSweep{Until: UntilReady, Ladder: []int{b.K}, Levels: []BurstLevel{lvl}, KneeRule: KneeRule, Converted: true}
	sw.Knee, sw.KneeNote = Knee(sw.Levels)
	return sw
}
