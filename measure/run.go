package measure

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/probe"
	"github.com/agentic-eval/agentic-eval/reap"
	"github.com/agentic-eval/agentic-eval/results"
)

// Event is a progress report for a live display.
type Event struct {
	Variant string
	Phase   results.Phase
	Done    int
	Total   int
	Message string
}

// Runner measures drivers. One Runner makes one run: its ID prefixes every
// object it creates, and it destroys whatever it still holds when a run ends
// for any reason.
type Runner struct {
	Settings results.Settings
	// Probe is the host path of the static probe binary.
	Probe string
	// Dir is the parent of the run's scratch directory ("" = os.TempDir).
	Dir string
	// Progress, when set, receives events; it must not block.
	Progress func(Event)
	// Started, when set, is told the run's ID once the run has recorded
	// itself, before it creates anything.
	Started func(runID string)
	// Log, when set, receives one line per notable happening.
	Log func(format string, args ...any)
	// Image is the sandbox image the workload phase runs; zero when none
	// was built (the phase then records why it measured nothing).
	Image driver.Image
	// Fingerprints, when set, are the drivers' fingerprints by variant, as
	// the caller took them when it chose the drivers: the run records them
	// and does not ask the host again. A driver without one is asked.
	Fingerprints map[string]driver.Fingerprint
	// LedgerDir, when set, is where the run records itself before it
	// creates anything, and each sandbox ID before it asks for it (see
	// OpenLedger), so that a later run can reap what a killed one left.
	LedgerDir string

	ledger *reap.Ledger
	dirty  atomic.Bool // something may be left: keep the ledger

	runID  string
	runDir string
	seq    atomic.Int64

	mu   sync.Mutex
	live map[string]*instance

	// spare is a fresh sandbox one phase leaves for the next (the last
	// start-latency sample, for isolation); takeSpare hands it over.
	spare *instance
}

// takeSpare returns the spare sandbox, if any, and forgets it.
func (r *Runner) takeSpare() *instance {
	in := r.spare
	r.spare = nil
	return in
}

// NewRunner makes a runner with a fresh run ID.
func NewRunner(settings results.Settings, probePath string) *Runner {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &Runner{Settings: settings, Probe: probePath, runID: hex.EncodeToString(b[:]), live: map[string]*instance{}}
}

// RunID is the run's ID; every object the run creates is named "ae-"+RunID
// and more.
func (r *Runner) RunID() string { return r.runID }

// Prefix is the name prefix of everything the run creates.
func (r *Runner) Prefix() string { return "ae-" + r.runID }

func (r *Runner) logf(format string, args ...any) {
	if r.Log != nil {
		r.Log(format, args...)
	}
}

func (r *Runner) progress(e Event) {
	if r.Progress != nil {
		r.Progress(e)
	}
}

// instance is one live sandbox the runner holds.
type instance struct {
	id        string
	dir       string
	sb        driver.Sandbox
	stream    *probe.Stream
	args      []string  // the probe's arguments
	requested time.Time // when the harness asked the driver
	asked     time.Time // when the driver asked the runtime (Spec.Asking), or requested
	started   time.Time // when the driver's Start returned
	ready     time.Time
}

// latency is the runtime's: from the moment the driver asked it for the
// sandbox to the probe's ready line.
func (in *instance) latency() time.Duration { return in.ready.Sub(in.asked) }

// prep is the harness's and the driver's own work before the runtime was
// asked (scratch files, bundle, pipes): reported apart, never in a runtime's
// figure.
func (in *instance) prep() time.Duration { return in.asked.Sub(in.requested) }

// cleanupCtx gives teardown its own deadline, independent of the run's
// context: an interrupted run must still destroy what it made.
func (r *Runner) cleanupCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), r.Settings.OpTimeout)
}

// MaxSandboxes is how many sandboxes one run may create: sandbox IDs have a
// fixed-width number so that no ID is a prefix of another (runsc and other
// runtimes match IDs by prefix), and past the width they could not be.
const MaxSandboxes = 999999

// SandboxID is the n-th sandbox's ID under prefix: "<prefix>-" and n in six
// digits, so that every ID of a run has the same length and none is a
// prefix of another. n must be from 1 to MaxSandboxes.
func SandboxID(prefix string, n int64) (string, error) {
	if n < 1 || n > MaxSandboxes {
		return "", fmt.Errorf("sandbox number %d out of range: a run creates at most %d sandboxes", n, MaxSandboxes)
	}
	return fmt.Sprintf("%s-%06d", prefix, n), nil
}

func (r *Runner) newSpec() (driver.Spec, error) {
	id, err := SandboxID(r.Prefix(), r.seq.Add(1))
	if err != nil {
		return driver.Spec{}, err
	}
	dir := filepath.Join(r.runDir, id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return driver.Spec{}, fmt.Errorf("sandbox dir: %w", err)
	}
	// The sandbox's name rides on the probe's command line, so that a
	// stray probe process on the host is findable by the run's prefix.
	return driver.Spec{ID: id, Probe: r.Probe, Dir: dir, Args: []string{"--sandbox=" + id}}, nil
}

// spawn starts one sandbox and waits for the probe's ready line. The
// returned instance is registered as live until destroy. On failure
// everything is already cleaned up.
func (r *Runner) spawn(ctx context.Context, d driver.Driver) (*instance, error) {
	return r.launch(ctx, "start", nil, d.Start, func(ctx context.Context, s *probe.Stream) (probe.Msg, error) {
		return s.Ready(ctx)
	})
}

// restore starts a sandbox from a snapshot and waits until the restored
// probe answers a ping; readiness is the arrival of that answer.
//
// The restored sandbox keeps the snapshotted probe's command line (srcArgs):
// runtimes such as runsc refuse a restore whose process arguments differ,
// and it is the same process, restored.
func (r *Runner) restore(ctx context.Context, sn driver.Restorer, snap driver.Snapshot, srcArgs []string) (*instance, error) {
	start := func(ctx context.Context, spec driver.Spec) (driver.Sandbox, error) {
		return sn.Restore(ctx, snap, spec)
	}
	return r.launch(ctx, "restore", srcArgs, start, func(ctx context.Context, s *probe.Stream) (probe.Msg, error) {
		return s.Request(ctx, "ping")
	})
}

// launch asks a driver for a sandbox (start or restore) and times it from
// the request to the probe message that proves it ready, read by the
// harness. args replaces the probe's default arguments when not nil.
func (r *Runner) launch(ctx context.Context, what string, args []string,
	start func(context.Context, driver.Spec) (driver.Sandbox, error),
	ready func(context.Context, *probe.Stream) (probe.Msg, error)) (*instance, error) {
	spec, err := r.newSpec()
	if err != nil {
		return nil, err
	}
	if args != nil {
		spec.Args = args
	}
	in := &instance{id: spec.ID, dir: spec.Dir, args: spec.Args}
	if r.ledger != nil {
		if err := r.ledger.AddSandbox(spec.ID); err != nil {
			r.discard(in)
			return nil, fmt.Errorf("%s %s: %w", what, spec.ID, err)
		}
	}
	attached := make(chan struct{})
	spec.Attach = func(out io.Reader, w io.Writer) {
		in.stream = probe.NewStream(out, w)
		close(attached)
	}
	var asking sync.Once
	spec.Asking = func() { asking.Do(func() { in.asked = time.Now() }) }
	opCtx, cancel := context.WithTimeout(ctx, r.Settings.OpTimeout)
	defer cancel()
	in.requested = time.Now()
	sb, err := start(opCtx, spec)
	in.started = time.Now()
	asking.Do(func() { in.asked = in.requested }) // the driver never said
	if err != nil {
		r.discard(in)
		return nil, fmt.Errorf("%s %s: %w", what, spec.ID, driver.TimedOut(opCtx, err))
	}
	in.sb = sb
	r.register(in)
	select {
	case <-attached:
	default:
		r.destroy(in)
		return nil, fmt.Errorf("%s %s: the driver did not attach the probe's streams", what, spec.ID)
	}
	msg, err := ready(opCtx, in.stream)
	if err != nil {
		r.destroy(in)
		return nil, fmt.Errorf("%s %s: wait for the probe: %w", what, spec.ID, driver.TimedOut(opCtx, err))
	}
	in.ready = msg.At
	return in, nil
}

func (r *Runner) register(in *instance) {
	r.mu.Lock()
	r.live[in.id] = in
	r.mu.Unlock()
}

// discard removes what exists of a sandbox that never started.
func (r *Runner) discard(in *instance) {
	if in.stream != nil {
		in.stream.Close()
	}
	_ = os.RemoveAll(in.dir)
}

// destroy tears a sandbox down with its own deadline and reports how long
// the driver took.
func (r *Runner) destroy(in *instance) (time.Duration, error) {
	ctx, cancel := r.cleanupCtx()
	defer cancel()
	t0 := time.Now()
	var err error
	if in.sb != nil {
		err = in.sb.Destroy(ctx)
	}
	took := time.Since(t0)
	if in.stream != nil {
		in.stream.Close()
	}
	if rmErr := os.RemoveAll(in.dir); rmErr != nil && err == nil {
		err = rmErr
	}
	r.mu.Lock()
	delete(r.live, in.id)
	r.mu.Unlock()
	if err != nil {
		return took, fmt.Errorf("destroy %s: %w", in.id, err)
	}
	return took, nil
}

// destroyAll tears down every live sandbox, in parallel, and returns the
// errors.
func (r *Runner) destroyAll() []error {
	r.mu.Lock()
	ins := make([]*instance, 0, len(r.live))
	for _, in := range r.live {
		ins = append(ins, in)
	}
	r.mu.Unlock()
	sort.Slice(ins, func(i, j int) bool { return ins[i].id < ins[j].id })
	return r.destroyEach(ins, 8)
}

// Live is how many sandboxes the runner holds now.
func (r *Runner) Live() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.live)
}
