package results

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/moby/sys/atomicwriter"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/probe"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Schema names the results document's format. A reader refuses any other:
// a change that breaks readers bumps it.
const Schema = "agentic-eval/results/v1"

// Results is one run's document: where it ran, with what settings, and per
// system and variant everything measured, raw samples included, so that a
// run can be re-scored or compared later.
type Results struct {
	Schema   string          `json:"schema"`
	Tool     Tool            `json:"tool"`
	RunID    string          `json:"run_id"`
	Started  time.Time       `json:"started"`
	Finished time.Time       `json:"finished"`
	Host     host.Info       `json:"host"`
	Settings Settings        `json:"settings"`
	Systems  []VariantResult `json:"systems"`
	// Interrupted is set when the run was stopped (SIGINT, SIGTERM) before
	// it finished; what was measured until then is kept.
	Interrupted bool     `json:"interrupted,omitempty"`
	Warnings    []string `json:"warnings,omitempty"`
	// Node is the Kubernetes node the run measured, set when the run came
	// out of a fleet set (see FleetSet); hosts side by side are labelled
	// with it.
	Node string `json:"node,omitempty"`
	// Revision is the schema's revision the document was written at: a
	// revision adds fields without breaking readers, and says which of a
	// reader's compatibility rules apply to it (absent: revision 1).
	Revision int `json:"revision,omitempty"`
}

// Revision is the revision documents are written at. Revision 2: failures
// carry Unreachable from their error's type.
const Revision = 2

// Tool identifies the program that produced a document.
type Tool struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	GoVersion string `json:"go_version"`
}

// VariantResult is everything measured for one driver.
type VariantResult struct {
	System       vms.System          `json:"system"`
	Variant      string              `json:"variant"`
	Fingerprint  driver.Fingerprint  `json:"fingerprint"`
	Capabilities driver.Capabilities `json:"capabilities"`
	StartLatency *Latency            `json:"start_latency,omitempty"`
	// Burst is the single burst of documents written before the ladder:
	// still read, no longer written (BurstOf reads either).
	Burst *Burst `json:"burst,omitempty"`
	// BurstSweep is the burst ladder; Arrivals the open-loop arrivals.
	BurstSweep *BurstSweep     `json:"burst_sweep,omitempty"`
	Arrivals   *ArrivalSweep   `json:"arrivals,omitempty"`
	Density    *Density        `json:"density,omitempty"`
	Churn      *Churn          `json:"churn,omitempty"`
	Isolation  *Isolation      `json:"isolation,omitempty"`
	Snapshot   *SnapshotResult `json:"snapshot,omitempty"`
	// Workloads are what an agent waits for: code run in a sandbox of the
	// Python image (time to interactive, warm exec, files).
	Workloads *WorkloadResult `json:"workloads,omitempty"`
	// Operations are the lifecycle operations the harness performed
	// successfully through this driver on this host (create, exec,
	// snapshot, restore, fork, destroy), for the agent-control checklist.
	Operations []vms.Operation `json:"operations,omitempty"`
	Failures   []Failure       `json:"failures,omitempty"`
	// ElapsedNS is the variant's wall time, from preparation to clean-up;
	// PhaseNS each step's (prepare, each phase by name, cleanup), so that a
	// run's time budget shows where it went. Absent in older documents.
	ElapsedNS int64            `json:"elapsed_ns,omitempty"`
	PhaseNS   map[string]int64 `json:"phase_ns,omitempty"`
	Warnings  []string         `json:"warnings,omitempty"`
}

// Failure is an attempt that did not produce a figure, with its cause.
type Failure struct {
	Phase   string `json:"phase"` // start-latency, burst, density, isolation, snapshot, teardown
	Sandbox string `json:"sandbox,omitempty"`
	Cause   string `json:"cause"`
	// Class says whose fault it is (see Classify): only runtime-class
	// failures are results. Absent in documents written before classes
	// existed, which read as runtime.
	Class Class `json:"class,omitempty"`
	// Unreachable is set when the failure was a daemon the runtime goes
	// through that could not be reached (the harness found
	// driver.ErrUnreachable in the error's chain): EnvironmentFailure
	// reads it. Absent in documents written before it existed, whose
	// failures have it set when read from their cause (see
	// upgradeFailures).
	Unreachable bool `json:"unreachable,omitempty"`
}

// Latency is the start-latency measurement: fresh sandboxes one after
// another, each timed from the request to the probe's ready line, and the
// teardown timed apart.
type Latency struct {
	// SamplesNS are timed from the moment the driver asked the runtime
	// (Spec.Asking) to the ready line.
	SamplesNS []int64       `json:"samples_ns"`
	Summary   stats.Summary `json:"summary"`
	// PrepNS is, per sample, the harness's and driver's own work before the
	// runtime was asked (scratch directory, bundle, pipes): kept out of the
	// runtime's figure and shown beside it. Absent in older documents.
	PrepNS     []int64       `json:"prep_ns,omitempty"`
	Prep       stats.Summary `json:"prep"`
	TeardownNS []int64       `json:"teardown_ns"`
	Teardown   stats.Summary `json:"teardown"`
	Warmups    int           `json:"warmups"`
	// Stop says why the phase took the samples it did. Absent in older
	// documents, which took a fixed number.
	Stop *stats.Stop `json:"stop,omitempty"`
	// Phases are the stages of the counted starts, for drivers that report
	// them (PhaseReporter), each from the moment the runtime was asked.
	Phases []StageSamples `json:"phases,omitempty"`
}

// Burst is k spawns requested at once, as documents written before the
// burst ladder (BurstSweep) recorded it.
type Burst struct {
	K         int           `json:"k"`
	Started   int           `json:"started"`
	SamplesNS []int64       `json:"samples_ns"`
	Summary   stats.Summary `json:"summary"`
	// WallNS is from the first request to the last ready line.
	WallNS int64 `json:"wall_ns"`
	// SpawnsPerSecond is Started divided by the wall time.
	SpawnsPerSecond float64 `json:"spawns_per_second"`
}

// Density is N idle sandboxes held at once and the host memory they cost.
type Density struct {
	Requested int `json:"requested"`
	Started   int `json:"started"`
	// StoppedBy says why fewer than Requested started, if so.
	StoppedBy string `json:"stopped_by,omitempty"`
	// PerInstanceBytes is, per sandbox, the PSS of its host processes
	// outside its memory cgroup plus the cgroup's charge (or the PSS of all
	// its processes when it has no cgroup).
	PerInstanceBytes []int64 `json:"per_instance_bytes"`
	// PSSBytes is, per sandbox, the PSS of all its host processes only.
	PSSBytes []int64 `json:"pss_bytes"`
	// CgroupBytes is, per sandbox, its memory cgroup's charge (0: none).
	CgroupBytes []int64 `json:"cgroup_bytes"`
	// Method 1 summarised, in MiB.
	PerInstanceMiB stats.Summary `json:"per_instance_mib"`
	// Method 2: MemAvailable before minus after, caches dropped before each
	// reading, divided by the number started.
	MemAvailableBefore  int64    `json:"mem_available_before"`
	MemAvailableAfter   int64    `json:"mem_available_after"`
	DeltaPerInstanceMiB float64  `json:"delta_per_instance_mib"`
	CachesDropped       bool     `json:"caches_dropped"`
	Warnings            []string `json:"warnings,omitempty"`
	// Capacity is the fill's account: host memory against sandboxes held,
	// its slope, sandboxes per GiB and the projection to this host.
	Capacity *Capacity `json:"capacity,omitempty"`
}

// Isolation is what the probe observed from inside, and what follows.
type Isolation struct {
	HostBootID        string           `json:"host_boot_id"`
	HostKernelRelease string           `json:"host_kernel_release"`
	Facts             *probe.Facts     `json:"facts,omitempty"`
	Assessment        probe.Assessment `json:"assessment"`
}

// SnapshotResult is the snapshotting measurement: snapshot a warm sandbox that
// holds a random token, restore it once, then fork it K times from the same
// snapshot, each restore timed to the restored probe's answer and verified
// by the token it still holds.
type SnapshotResult struct {
	Supported bool `json:"supported"`
	// Cause explains a snapshot that is not supported or failed here; the
	// failure is the measured result for the axis.
	Cause string `json:"cause,omitempty"`
	// CauseClass classifies Cause: a snapshot that failed for the
	// environment or timed out is not measured. Absent (runtime) in older
	// documents and when the driver cannot snapshot at all.
	CauseClass     Class         `json:"cause_class,omitempty"`
	SnapshotNS     int64         `json:"snapshot_ns,omitempty"`
	SnapshotBytes  int64         `json:"snapshot_bytes,omitempty"`
	RestoreNS      []int64       `json:"restore_ns,omitempty"`
	Restore        stats.Summary `json:"restore"`
	Forks          int           `json:"forks"`
	Verified       int           `json:"verified"` // restores that answered with the token
	FailedRestores int           `json:"failed_restores"`
	// Stop says why the restores, past the first and the forks, stopped
	// (the run's Sampling rule). Absent in older documents, whose
	// restores were the first and the forks only.
	Stop *stats.Stop `json:"stop,omitempty"`
}

// Write saves r as indented JSON, atomically (a temporary file beside it,
// synced, renamed into place; never through a symlink or into a device).
func (r *Results) Write(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := atomicwriter.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results %s: %w", path, err)
	}
	return nil
}

// ReadResults reads one results document from r, refusing other schemas,
// data after the document and more than DefaultMaxBytes.
func ReadResults(r io.Reader) (*Results, error) {
	var res Results
	if err := Decode(r, &res, resultsOptions(nil)); err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	return &res, nil
}

// ReadResultsFile reads a results document from a file, which must be a
// regular file of at most DefaultMaxBytes (see Open for every rule). Errors name the path, never the content.
func ReadResultsFile(path string) (*Results, error) {
	return ReadResultsFileIn(path, nil)
}

// ReadResultsFileIn is ReadResultsFile confined to dirs: the file, symlinks
// resolved, must lie within one of them. No dirs means anywhere.
func ReadResultsFileIn(path string, dirs []string) (*Results, error) {
	var res Results
	if err := Read(path, &res, resultsOptions(dirs)); err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	return &res, nil
}

func resultsOptions(dirs []string) Options {
	return Options{Schemas: []string{Schema}, Dirs: dirs}
}

// Variant finds a variant's result by name.
func (r *Results) Variant(name string) *VariantResult {
	for i := range r.Systems {
		if strings.EqualFold(r.Systems[i].Variant, name) {
			return &r.Systems[i]
		}
	}
	return nil
}

// Durations turns raw nanosecond samples back into durations.
func Durations(ns []int64) []time.Duration {
	out := make([]time.Duration, len(ns))
	for i, v := range ns {
		out[i] = time.Duration(v)
	}
	return out
}

func (vr *VariantResult) Did(op vms.Operation) {
	for _, o := range vr.Operations {
		if o == op {
			return
		}
	}
	vr.Operations = append(vr.Operations, op)
}
