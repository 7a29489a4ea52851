package results

import (
	"github.com/agentic-eval/agentic-eval/residue"
	"github.com/agentic-eval/agentic-eval/stats"
)

// PhaseChurn is create, run the workload, destroy, in a loop: whether a
// runtime degrades or leaks over many cycles.
const PhaseChurn Phase = "churn"

// MaxChurn is the most cycles one variant's churn may ask for: each cycle
// takes a sandbox ID, and a run has MaxSandboxes.
const MaxChurn = 100000

// Churn is the churn phase's result: cycles of create, run, destroy, one
// after another, the latency's drift from the first tenth to the last, and
// what the host holds after the loop against before.
type Churn struct {
	Requested int   `json:"requested"`
	BudgetNS  int64 `json:"budget_ns"`
	Cycles    int   `json:"cycles"` // completed and verified
	Failed    int   `json:"failed"`
	// Workload is what each cycle ran: workload.PythonHello on the image,
	// or "ping" (the probe's answer) with WorkloadCause saying why.
	Workload      string `json:"workload"`
	WorkloadCause string `json:"workload_cause,omitempty"`
	StoppedBy     string `json:"stopped_by"`
	// Per cycle, in loop order, from the request: the probe's ready line,
	// the verified result, and the teardown's own time; CycleNS is the
	// whole cycle, teardown included.
	ReadyNS    []int64       `json:"ready_ns"`
	ResultNS   []int64       `json:"result_ns"`
	TeardownNS []int64       `json:"teardown_ns"`
	CycleNS    []int64       `json:"cycle_ns"`
	Result     stats.Summary `json:"result"`
	Teardown   stats.Summary `json:"teardown"`
	Cycle      stats.Summary `json:"cycle"`
	// Drift tests the result and the teardown for drift over the loop.
	Drift []stats.Drift `json:"drift"`
	// Before and After are the host's state around the loop; Residue
	// compares them. HostStateError says why they are missing.
	Before         *residue.HostState `json:"before,omitempty"`
	After          *residue.HostState `json:"after,omitempty"`
	Residue        *residue.HostDiff  `json:"residue,omitempty"`
	HostStateError string             `json:"host_state_error,omitempty"`
	WallNS         int64              `json:"wall_ns"`
	Warnings       []string           `json:"warnings,omitempty"`
}
