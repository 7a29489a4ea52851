package app

import (
	"github.com/agentic-eval/agentic-eval/results"
)

// Runs are results documents read for a request: each results file one
// run, each fleet set expanded into its measured nodes.
type Runs struct {
	Runs []*results.Results
	// FromSet says a file was a fleet set, so that even one node is shown
	// as a host with its name.
	FromSet bool
	// NotMeasured are the nodes of the sets that were not measured, a line
	// each ("fleet <run>: <node>: <cause>").
	NotMeasured []string
}

// ReadResults reads one results file, within the configured results
// directories when there are some, under package results' rules.
func (a *App) ReadResults(path string) (*results.Results, error) {
	res, err := results.ReadResultsFileIn(path, a.cfg.ResultsDirs)
	if err != nil {
		return nil, &InputError{Field: "results", Err: err}
	}
	return res, nil
}

// ReadRuns reads results files and fleet sets.
func (a *App) ReadRuns(paths []string) (Runs, error) {
	var out Runs
	for _, p := range paths {
		rs, set, err := results.ReadRunsFile(p)
		if err != nil {
			return Runs{}, &InputError{Field: "results", Err: err}
		}
		if set != nil {
			out.FromSet = true
			for _, nm := range set.NotMeasured() {
				out.NotMeasured = append(out.NotMeasured, "fleet "+set.RunID+": "+nm)
			}
		}
		out.Runs = append(out.Runs, rs...)
	}
	return out, nil
}
