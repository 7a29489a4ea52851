package cli

import (
	"fmt"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/units"
)

// phasesTable is the stages of a start for the variants whose driver
// reports them (Kubernetes: accepted, scheduled, sandbox created, started,
// Ready, the ready line printed and read), each a median from the moment
// the runtime was asked, with the step from the stage before; nil when no
// variant reports stages.
func phasesTable(res *results.Results) *Table {
	var rows [][]string
	for _, v := range res.Systems {
		sl := v.StartLatency
		if sl == nil || len(sl.Phases) == 0 {
			continue
		}
		prev := 0.0
		for _, p := range sl.Phases {
			if p.Summary.N == 0 {
				continue
			}
			rows = append(rows, []string{v.Variant, p.Name, fmt.Sprint(p.Summary.N),
				fmt.Sprintf("%s [%s, %s]", units.Millis(p.Summary.Median), units.Millis(p.Summary.Lo), units.Millis(p.Summary.Hi)),
				units.SignedMillis(p.Summary.Median - prev), phaseMeaning(p.Name)})
			prev = p.Summary.Median
		}
	}
	if len(rows) == 0 {
		return nil
	}
	t := NewTable("VARIANT", "START STAGE", "N", "AT p50 [95% CI]", "STEP", "WHAT IT IS")
	t.AlignRight(2, 3, 4)
	for _, r := range rows {
		t.AddRow(r...)
	}
	return t
}

// phaseMeaning explains the stages the k8s driver reports.
func phaseMeaning(name string) string {
	switch name {
	case "accepted":
		return "the API server answered the create"
	case "scheduled":
		return "the watch saw PodScheduled"
	case "sandbox":
		return "the watch saw PodReadyToStartContainers (pod sandbox and network made)"
	case "started":
		return "the watch saw the container running"
	case "ready":
		return "the watch saw Ready"
	case "printed":
		return "the probe wrote its ready line (the node runtime's log timestamp)"
	case "probe":
		return "the ready line read through the pod's log"
	}
	return ""
}
