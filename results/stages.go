package results

import "github.com/agentic-eval/agentic-eval/stats"

// StageSamples are one stage's times over the start-latency samples, each
// from the moment the runtime was asked; a stage a sample never reported
// (a condition the watch skipped) is absent from that sample, so N may be
// below the starts'.
type StageSamples struct {
	Name      string        `json:"name"`
	SamplesNS []int64       `json:"samples_ns"`
	Summary   stats.Summary `json:"summary"`
}
