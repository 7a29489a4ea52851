package app

import (
	"fmt"
	"strings"

	"github.com/agentic-eval/agentic-eval/results"
)

// settingPhases says which phases each setting of a measurement acts on,
// by the setting's name (the command line's flag without its dashes).
var settingPhases = map[string][]results.Phase{
	"samples":               {results.PhaseStartLatency, results.PhaseSnapshot, results.PhaseWorkload},
	"min-samples":           {results.PhaseStartLatency, results.PhaseSnapshot, results.PhaseWorkload},
	"precision":             {results.PhaseStartLatency, results.PhaseSnapshot, results.PhaseWorkload},
	"phase-budget":          {results.PhaseStartLatency, results.PhaseSnapshot, results.PhaseWorkload},
	"warmups":               {results.PhaseStartLatency},
	"burst":                 {results.PhaseBurst},
	"burst-ladder":          {results.PhaseBurst},
	"burst-budget":          {results.PhaseBurst},
	"sweep-until":           {results.PhaseBurst, results.PhaseArrivals},
	"arrival-rates":         {results.PhaseArrivals},
	"arrival-hold":          {results.PhaseArrivals},
	"arrival-budget":        {results.PhaseArrivals},
	"arrival-max-in-flight": {results.PhaseArrivals},
	"arrival-seed":          {results.PhaseArrivals},
	"density":               {results.PhaseDensity},
	"density-time":          {results.PhaseDensity},
	"fill-concurrency":      {results.PhaseDensity},
	"capacity":              {results.PhaseDensity},
	"churn":                 {results.PhaseChurn},
	"churn-time":            {results.PhaseChurn},
	"forks":                 {results.PhaseSnapshot},
	"workloads":             {results.PhaseWorkload},
	"workload-cmd":          {results.PhaseWorkload},
	"workload-samples":      {results.PhaseWorkload},
	"warm-runs":             {results.PhaseWorkload},
	"file-sizes":            {results.PhaseWorkload},
}

// NoEffect says, a line each, which of the settings given act on no phase
// the measurement runs: a setting silently ignored would make a user
// believe it was measured ("--workloads python-numpy --phases
// start-latency" measures no workload). given are setting names as the
// command line spells its flags, without dashes; names it does not know
// are passed over.
func NoEffect(s results.Settings, given []string) []string {
	var out []string
	for _, name := range given {
		phases, ok := settingPhases[name]
		if !ok {
			continue
		}
		used := false
		for _, p := range phases {
			if s.Has(p) {
				used = true
			}
		}
		if !used {
			names := make([]string, len(phases))
			for i, p := range phases {
				names[i] = string(p)
			}
			out = append(out, fmt.Sprintf("%s has no effect: it acts on the %s phase, which this run does not measure (phases: %s)",
				name, strings.Join(names, " or "), phaseList(s.Phases)))
		}
	}
	return out
}

func phaseList(ps []results.Phase) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = string(p)
	}
	return strings.Join(names, ",")
}
