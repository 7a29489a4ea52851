package drivertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/image"
	"github.com/agentic-eval/agentic-eval/probe"
)

// Conformance is the suite every driver runs against its real runtime, as
// t.Run subtests: the contract of measure.Driver and its optional
// abilities, checked the same way for all. newDriver returns a fresh driver
// of the variant under test; the suite uses a second one where a run is
// abandoned, as a later process would find it. A driver that is not
// available here skips with its fingerprint's reason.
//
// What it pins: fingerprinting starts no sandbox and says why it cannot
// run; capabilities are static data; the ready line reaches the harness's
// stream, timestamped by the harness; exec and snapshot are offered exactly
// when the capabilities say so, and work or fail with a cause; a restored
// probe holds the token it was given before the snapshot, twice from one
// snapshot; Destroy is idempotent and leaves nothing; a start cut short at
// any moment leaves nothing; an abandoned run is found and reaped by a fresh
// driver.
func Conformance(t *testing.T, newDriver func() driver.Driver, opts ...Option) {
	d := newDriver()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if os.Geteuid() != 0 {
		t.Skipf("%s: not root: the conformance suite reads sandboxes' host processes and cgroups", d.Variant())
	}
	caps := d.Capabilities()
	fpCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	fp := d.Fingerprint(fpCtx)
	cancel()

	t.Run("fingerprint", func(t *testing.T) {
		if !fp.Available && (fp.Reason == "" || fp.Fix == "") {
			t.Errorf("unavailable without a reason and a fix: %+v", fp)
		}
		if fp.Available && fp.Version == "" {
			t.Errorf("available without a version: %+v", fp)
		}
		if strings.Contains(fp.Reason, "\n") {
			t.Errorf("reason is not one line: %q", fp.Reason)
		}
	})
	t.Run("capabilities are static data", func(t *testing.T) {
		if again := newDriver().Capabilities(); !reflect.DeepEqual(again, caps) {
			t.Errorf("capabilities before Fingerprint %+v, after %+v", again, caps)
		}
		if !caps.Boundary.Valid() {
			t.Errorf("boundary %q is no class", caps.Boundary)
		}
		if caps.Restore != caps.Snapshot || caps.RestoreMany && !caps.Restore {
			t.Errorf("snapshot, restore and restore-many disagree: %+v", caps)
		}
		if _, ok := d.(driver.Restorer); caps.Restore && !ok {
			t.Errorf("capabilities claim restore, the driver is no measure.Restorer")
		}
	})
	if !fp.Available {
		t.Skipf("%s unavailable here: %s (fix: %s)", d.Variant(), fp.Reason, fp.Fix)
	}
	c := &conformance{t: t, d: d, caps: caps, newDriver: newDriver, opts: o}
	if o.onImage {
		img, err := image.Find(image.CacheDir())
		if err != nil {
			t.Skipf("%s runs the suite on the sandbox image, and there is none: %v", d.Variant(), err)
		}
		c.img = driver.Image{Key: img.Key, Rootfs: img.Rootfs, Tar: img.Tar, TarBytes: img.TarBytes, RootfsBytes: img.RootfsBytes}
	}
	c.env = c.prepare(t, d)

	t.Run("start, ready line, destroy twice", c.lifecycle)
	t.Run("exec where capable", c.exec)
	t.Run("snapshot, restore and fork where capable", c.snapshot)
	t.Run("a start cut short leaves nothing", c.cutShort)
	t.Run("a failed start says why and leaves nothing", c.failedStart)
	t.Run("an abandoned run is reaped", c.abandoned)
}

type conformance struct {
	t         *testing.T
	d         driver.Driver
	caps      driver.Capabilities
	newDriver func() driver.Driver
	env       driver.RunEnv
	seq       int
	opts      options
	img       driver.Image // every sandbox's, with OnImage
}

// Option qualifies the suite for a driver.
type Option func(*options)

type options struct{ probeFromImage, onImage bool }

// ProbeFromImage says the driver runs the probe from an image its Prepare
// made, not from Spec.Probe (Docker): a start with a missing probe binary
// is then no failure.
func ProbeFromImage(o *options) { o.probeFromImage = true }

// OnImage runs every sandbox of the suite on the sandbox image (RunEnv.Image
// and Spec.Image), and skips the suite when setup built none: for a driver
// whose abilities need the image (QEMU execs through the guest agent the
// image holds).
func OnImage(o *options) { o.onImage = true }

// NewRunID is a fresh run ID for a test: "t" and 8 hex digits.
func NewRunID(t testing.TB) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "t" + hex.EncodeToString(b)
}

// prepare prepares d for a run of its own, closed and checked for
// leftovers when t ends.
func (c *conformance) prepare(t *testing.T, d driver.Driver) driver.RunEnv {
	env := driver.RunEnv{RunID: NewRunID(t), Probe: Probe(t), Dir: t.TempDir(), Image: c.img}
	if p, ok := d.(driver.Preparer); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := p.Prepare(ctx, env); err != nil {
			t.Fatalf("Prepare: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := p.Close(ctx); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	t.Cleanup(func() { AssertNoLeftovers(t, d, "ae-"+env.RunID) })
	return env
}

// spec is a fresh sandbox spec of the run, with its own directory, as the
// harness makes them (IDs never prefix each other).
func (c *conformance) spec(t *testing.T, a *Attached) driver.Spec {
	c.seq++
	id := fmt.Sprintf("ae-%s-%06d", c.env.RunID, c.seq)
	dir := filepath.Join(c.env.Dir, id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return driver.Spec{ID: id, Probe: c.env.Probe, Dir: dir, Args: []string{"--sandbox=" + id}, Attach: a.Attach, Image: c.img}
}

func opCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func (c *conformance) lifecycle(t *testing.T) {
	ctx := opCtx(t)
	var a Attached
	defer a.Close()
	spec := c.spec(t, &a)
	requested := time.Now()
	sb, ready, pids := StartReady(ctx, t, c.d, &a, spec)
	if a.Calls() != 1 {
		t.Errorf("Attach called %d times, want once", a.Calls())
	}
	if sb.ID() != spec.ID {
		t.Errorf("ID() = %q, want %q", sb.ID(), spec.ID)
	}
	if ready.At.Before(requested) || ready.At.After(time.Now()) {
		t.Errorf("ready line at %v, outside the request (%v) to now", ready.At, requested)
	}
	if len(pids) == 0 {
		t.Error("a running sandbox has no host processes")
	}
	if msg, err := a.Stream().Request(ctx, "ping"); err != nil {
		t.Errorf("the probe does not answer a ping: %v (%+v)", err, msg)
	}
	if _, err := sb.MemoryCgroup(ctx); err != nil {
		t.Errorf("MemoryCgroup: %v", err)
	}
	if err := sb.Destroy(ctx); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if err := sb.Destroy(ctx); err != nil {
		t.Errorf("a second Destroy: %v", err)
	}
	AssertProcessesGone(t, pids)
	AssertNoLeftovers(t, c.d, spec.ID)
}

func (c *conformance) exec(t *testing.T) {
	ctx := opCtx(t)
	var a Attached
	defer a.Close()
	sb, _, _ := StartReady(ctx, t, c.d, &a, c.spec(t, &a))
	ex, ok := sb.(driver.Execer)
	if ok != c.caps.Exec {
		t.Fatalf("the sandbox implements exec: %v; the capabilities say %v", ok, c.caps.Exec)
	}
	if !ok {
		t.Skipf("%s does not exec (capabilities)", c.d.Variant())
	}
	out, err := ex.Exec(ctx, probe.ExecFlag)
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
	ExecOKPid(t, out)
	// A context that ends first ends the exec, with an error.
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	if _, err := ex.Exec(short, probe.ExecFlag); err == nil {
		t.Error("an exec whose context had ended succeeded")
	}
	if err := sb.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ex.Exec(ctx, probe.ExecFlag); err == nil || !strings.Contains(err.Error(), sb.ID()) {
		t.Errorf("exec after Destroy: %v, want an error naming the sandbox", err)
	}
}

func (c *conformance) snapshot(t *testing.T) {
	ctx := opCtx(t)
	var a Attached
	defer a.Close()
	sb, _, _ := StartReady(ctx, t, c.d, &a, c.spec(t, &a))
	ss, ok := sb.(driver.Snapshotter)
	if c.caps.Snapshot && !ok {
		t.Fatalf("capabilities claim snapshots, the sandbox is no measure.Snapshotter")
	}
	if !c.caps.Snapshot {
		t.Skipf("%s does not snapshot (capabilities)", c.d.Variant())
	}
	token := strings.TrimPrefix(NewRunID(t), "t") + "0a"
	if _, err := a.Stream().Request(ctx, "token", "set", token); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(c.env.Dir, sb.ID()+"-snapshot")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	snap, err := ss.Snapshot(ctx, dir)
	if err != nil {
		// The runtime cannot snapshot here (CRIU on new kernels, a build
		// without CRIU): the failure is the result, and it must say why
		// and leave the sandbox whole or gone.
		if len(err.Error()) < 20 {
			t.Errorf("a failed snapshot without a cause: %q", err)
		}
		t.Logf("snapshot fails here (the measured outcome): %v", err)
		if err := sb.Destroy(ctx); err != nil {
			t.Errorf("Destroy after a failed snapshot: %v", err)
		}
		AssertNoLeftovers(t, c.d, sb.ID())
		return
	}
	if snap.Dir == "" || snap.Bytes <= 0 {
		t.Errorf("snapshot %+v: no directory or size", snap)
	}
	if err := sb.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	r := c.d.(driver.Restorer)
	// Two restores from one snapshot, held at once: a fork.
	for i := 0; i < 2; i++ {
		var ra Attached
		defer ra.Close()
		spec := c.spec(t, &ra)
		spec.Args = []string{"--sandbox=" + sb.ID()} // a restore keeps the snapshotted process's arguments
		rsb, err := r.Restore(ctx, snap, spec)
		if err != nil {
			t.Fatalf("restore %d: %v", i, err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			rsb.Destroy(ctx)
		})
		if ra.Calls() != 1 {
			t.Errorf("restore %d: Attach called %d times", i, ra.Calls())
		}
		msg, err := ra.Stream().Request(ctx, "token", "get")
		if err != nil {
			t.Fatalf("restore %d: token get: %v", i, err)
		}
		if got := strings.TrimSpace(msg.Payload); got != token {
			t.Errorf("restore %d holds token %q, want %q: memory state lost", i, got, token)
		}
	}
	var ba Attached
	spec := c.spec(t, &ba)
	if _, err := r.Restore(ctx, driver.Snapshot{Dir: t.TempDir()}, spec); err == nil {
		t.Error("a restore from an empty directory succeeded")
	}
	ba.Close()
	AssertNoLeftovers(t, c.d, spec.ID)
}

// cutShort cancels Start at a series of moments, from before it begins to
// after it would have finished: whatever Start returns, Destroy (or Start's
// own clean-up) leaves nothing.
func (c *conformance) cutShort(t *testing.T) {
	for _, after := range []time.Duration{0, time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond, 80 * time.Millisecond} {
		var a Attached
		spec := c.spec(t, &a)
		ctx, cancel := context.WithTimeout(context.Background(), after)
		sb, err := c.d.Start(ctx, spec)
		cancel()
		if err == nil {
			dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
			if err := sb.Destroy(dctx); err != nil {
				t.Errorf("cut at %v: Destroy: %v", after, err)
			}
			dcancel()
		}
		a.Close()
		AssertNoLeftovers(t, c.d, spec.ID)
	}
}

func (c *conformance) failedStart(t *testing.T) {
	ctx := opCtx(t)
	if _, err := c.d.Start(ctx, driver.Spec{}); err == nil {
		t.Error("a start of an empty spec succeeded")
	}
	if !c.opts.probeFromImage {
		var a Attached
		spec := c.spec(t, &a)
		spec.Probe = filepath.Join(t.TempDir(), "no-such-probe")
		if _, err := c.d.Start(ctx, spec); err == nil {
			t.Error("a start without a probe binary succeeded")
		} else if !strings.Contains(err.Error(), spec.ID) {
			t.Errorf("the error does not name the sandbox: %v", err)
		}
		a.Close()
		AssertNoLeftovers(t, c.d, spec.ID)
	}
	// A second sandbox under a live one's ID is refused, and the refusal
	// leaves the first one running.
	var a Attached
	defer a.Close()
	spec := c.spec(t, &a)
	sb, _, _ := StartReady(ctx, t, c.d, &a, spec)
	var b Attached
	dup := spec
	dup.Dir = filepath.Join(c.env.Dir, spec.ID+"-again")
	if err := os.Mkdir(dup.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	dup.Attach = b.Attach
	if sb2, err := c.d.Start(ctx, dup); err == nil {
		sb2.Destroy(ctx)
		t.Error("a second sandbox with a live sandbox's ID started")
	} else if !strings.Contains(err.Error(), spec.ID) {
		t.Errorf("the error does not name the sandbox: %v", err)
	}
	b.Close()
	if _, err := a.Stream().Request(ctx, "ping"); err != nil {
		t.Errorf("the first sandbox no longer answers after the refused duplicate: %v", err)
	}
	if err := sb.Destroy(ctx); err != nil {
		t.Error(err)
	}
	AssertNoLeftovers(t, c.d, spec.ID)
}

// abandoned starts sandboxes and forgets them, as a killed run would; a
// fresh driver finds them by the run's prefix and sweeps them.
func (c *conformance) abandoned(t *testing.T) {
	ctx := opCtx(t)
	var pids []int
	for i := 0; i < 2; i++ {
		var a Attached
		sb, _, p := StartReady(ctx, t, c.d, &a, c.spec(t, &a))
		_ = sb // abandoned: the test's own clean-up destroys it only if the reap did not
		pids = append(pids, p...)
		a.Close()
	}
	fresh := c.newDriver()
	sw, ok := fresh.(driver.Reaper)
	if !ok {
		t.Fatalf("%s is no measure.Reaper", fresh.Variant())
	}
	prefix := "ae-" + c.env.RunID
	left, err := sw.Leftovers(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) < 2 {
		t.Errorf("a fresh driver finds %d leftovers of two abandoned sandboxes: %q", len(left), left)
	}
	if err := sw.Reap(ctx, prefix); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	AssertProcessesGone(t, pids)
	AssertNoLeftovers(t, fresh, prefix)
}

// AssertNoLeftovers fails t when d's Reaper lists anything named with
// prefix.
func AssertNoLeftovers(t testing.TB, d driver.Driver, prefix string) {
	t.Helper()
	sw, ok := d.(driver.Reaper)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if st, ok := d.(driver.Settler); ok {
		if err := st.Settle(ctx); err != nil {
			t.Errorf("settle %s: %v", d.Variant(), err)
		}
	}
	left, err := sw.Leftovers(ctx, prefix)
	if err != nil {
		t.Errorf("leftovers of %s: %v", prefix, err)
		return
	}
	if len(left) > 0 {
		t.Errorf("%s left behind: %s", prefix, strings.Join(left, "; "))
		if err := sw.Reap(ctx, prefix); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("reap of %s: %v", prefix, err)
		}
	}
}
