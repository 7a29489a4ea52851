package results

import (
	"fmt"
	"strings"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/workload"
)

// PhaseWorkload measures what an agent waits for: code run in sandboxes of
// the Python image.
const PhaseWorkload Phase = "workload"

// WorkloadSettings are the workload phase's.
type WorkloadSettings struct {
	// Names are the workloads measured, in order (workload.Names).
	Names []string `json:"names"`
	// Command is the user's own command line, measured as "custom" when
	// set, verified by its exit status.
	Command []string `json:"command,omitempty"`
	// Samples is the most fresh sandboxes that time each workload's time
	// to interactive; WarmRuns the most runs in one warm sandbox, per exec
	// path: hard maxima, under which the run's Sampling rule (its budget
	// and precision) decides.
	Samples  int `json:"samples"`
	WarmRuns int `json:"warm_runs"`
	// FileSizes are the sizes put into and got back from a sandbox, each
	// FileReps times.
	FileSizes []int64 `json:"file_sizes"`
	FileReps  int     `json:"file_reps"`
}

// DefaultWorkloadSettings are python-hello (the rubric's start workload),
// at most 200 fresh sandboxes and 1000 warm runs per exec path (hard
// maxima: the run's Sampling rule stops far sooner, at its precision or at
// the ceiling its budget buys), files of 4 KiB and 1 MiB three times each way. The
// other workloads (python-numpy, small-files, cpu) and larger files are
// named with --workloads and --file-sizes: under software emulation each
// costs a minute or more.
func DefaultWorkloadSettings() WorkloadSettings {
	return WorkloadSettings{
		Names:   []string{workload.PythonHello},
		Samples: 200, WarmRuns: 1000,
		FileSizes: []int64{4 << 10, 1 << 20}, FileReps: 3,
	}
}

// Validate checks the settings' bounds.
func (s WorkloadSettings) Validate() error {
	if _, err := s.Workloads(); err != nil {
		return err
	}
	switch {
	case s.Samples < 1 || s.Samples > 1000:
		return fmt.Errorf("workload samples %d out of range: want 1 to 1000", s.Samples)
	case s.WarmRuns < 0 || s.WarmRuns > 10000:
		return fmt.Errorf("warm runs %d out of range: want 0 to 10000", s.WarmRuns)
	case s.FileReps < 0 || s.FileReps > 100:
		return fmt.Errorf("file repetitions %d out of range: want 0 to 100", s.FileReps)
	}
	for _, n := range s.FileSizes {
		if n < 1 || n > 1<<30 {
			return fmt.Errorf("file size %d out of range: want 1 byte to 1 GiB", n)
		}
	}
	return nil
}

// workloads are the workloads the settings name, with the user's command.
func (s WorkloadSettings) Workloads() ([]workload.Workload, error) {
	var ws []workload.Workload
	if len(s.Names) > 0 {
		var err error
		if ws, err = workload.Parse(strings.Join(s.Names, ",")); err != nil {
			return nil, err
		}
	}
	if len(s.Command) > 0 {
		w, err := workload.Command(s.Command, 300_000)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// WorkloadResult is the workload phase's result for one variant.
type WorkloadResult struct {
	Version string       `json:"version"` // workload.Version
	Image   driver.Image `json:"image"`
	// Cause says why nothing was measured (no image, a driver that runs
	// none); empty when measured.
	Cause string           `json:"cause,omitempty"`
	TTI   []TimeToInteract `json:"time_to_interactive,omitempty"`
	Warm  []WarmExec       `json:"warm_exec,omitempty"`
	Files []FileTransfer   `json:"files,omitempty"`
	// Primed is the primed interpreter forked, beside the probe-token
	// snapshot of the snapshot phase.
	Primed *PrimedFork `json:"primed_fork,omitempty"`
}

// TimeToInteract is one workload in fresh sandboxes, one after another:
// from the request to the runtime returning, to the probe's ready line, to
// the first verified result and the second, each on the harness's clock.
type TimeToInteract struct {
	Workload     string        `json:"workload"`
	ExecPath     string        `json:"exec_path"` // "probe": the sandbox's agent ran it
	ReturnedNS   []int64       `json:"returned_ns"`
	ReadyNS      []int64       `json:"ready_ns"`
	FirstNS      []int64       `json:"first_result_ns"`
	SecondNS     []int64       `json:"second_result_ns"`
	Returned     stats.Summary `json:"returned"`
	Ready        stats.Summary `json:"ready"`
	FirstResult  stats.Summary `json:"first_result"`
	SecondResult stats.Summary `json:"second_result"`
	// FirstPenalty is the median of each sandbox's first run over its
	// second (run times only, without the start): how much a cold
	// sandbox's first call costs beyond a warm one's.
	FirstPenalty float64 `json:"first_penalty"`
	Failed       int     `json:"failed"`
	// Stop says why this many sandboxes were timed (the rule is on the
	// first result). Absent in older documents.
	Stop *stats.Stop `json:"stop,omitempty"`
}

// WarmExec is n runs of a workload in one running sandbox, per exec path:
// the per-tool-call cost on a warm pool.
type WarmExec struct {
	Workload  string        `json:"workload"`
	ExecPath  string        `json:"exec_path"` // "probe", or "runtime" (the runtime's own exec)
	SamplesNS []int64       `json:"samples_ns"`
	Summary   stats.Summary `json:"summary"`
	// ProbeNS are the probe's own durations of the command, inside.
	ProbeNS []int64 `json:"probe_ns,omitempty"`
	// WarmupNS is the uncounted first run through the probe (the
	// sandbox's first), 0 where it failed. Absent in older documents,
	// whose first run was counted.
	WarmupNS int64 `json:"warmup_ns,omitempty"`
	Failed   int   `json:"failed"`
	// Stop says why this many runs were taken (the Sampling rule under
	// WarmRuns). Absent in older documents.
	Stop *stats.Stop `json:"stop,omitempty"`
}

// FileTransfer is one size moved into (put) or out of (get) a sandbox,
// through the probe ("probe") or the runtime's own copy path ("runtime",
// see Copier), verified by SHA-256.
type FileTransfer struct {
	Direction string `json:"direction"` // "put" or "get"
	Bytes     int64  `json:"bytes"`
	ExecPath  string `json:"exec_path"`
	// Path is the file's path in the sandbox; PathWhy says why the file
	// went there when it is not the work dir.
	Path      string        `json:"path,omitempty"`
	PathWhy   string        `json:"path_why,omitempty"`
	SamplesNS []int64       `json:"samples_ns"`
	Summary   stats.Summary `json:"summary"`
	// MBps is the median throughput, in MB (10^6 bytes) per second.
	MBps     float64 `json:"mbps"`
	Verified int     `json:"verified"`
	Failed   int     `json:"failed"`
	// CrossVerified counts transfers the other exec path saw: a file the
	// runtime put that the probe read back with its SHA-256 (a runtime
	// put's only check, so it counts in Verified too), and a file the
	// probe put that the runtime's get returned intact.
	CrossVerified int `json:"cross_verified,omitempty"`
	// Cap, when set, says why a size was not moved through this driver
	// (or this exec path: a runtime without a copy path of its own).
	Cap string `json:"cap,omitempty"`
}

// Exec paths.
const (
	ExecPathProbe   = "probe"
	ExecPathRuntime = "runtime"
)

// PrimedFork is the primed interpreter, forked: python3 with numpy
// imported and a random value assigned, in a sandbox snapshotted once,
// restored once and forked Forks times; each restore counts only when its
// interpreter returns the value with numpy still loaded, importing nothing.
type PrimedFork struct {
	// Cause says why it was not measured, or why the snapshot failed (the
	// runtime's own error, when it cannot snapshot here).
	Cause         string        `json:"cause,omitempty"`
	PrimeNS       int64         `json:"prime_ns"` // numpy's import and the assignment, in the live interpreter
	SnapshotNS    int64         `json:"snapshot_ns"`
	SnapshotBytes int64         `json:"snapshot_bytes"`
	RestoreNS     []int64       `json:"restore_ns,omitempty"` // request to the restored probe's answer
	Restore       stats.Summary `json:"restore"`
	// AnswerNS are the restored interpreters' answers, from the request to
	// the value.
	AnswerNS []int64 `json:"answer_ns,omitempty"`
	Verified int     `json:"verified"`
	Failed   int     `json:"failed"`
}
