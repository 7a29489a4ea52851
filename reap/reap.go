package reap

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
)

// Outcome is what a reap did, or would do, for one ledgered run.
type Outcome struct {
	RunID  string
	Ledger string
	// Removed lists what was removed (or, in a dry run, what would be).
	Removed []string
	// Left lists what could not be removed, with the error.
	Left []string
	// Unsettled says why the run's record stays although nothing of it
	// is left now: its runtimes were still handling its requests, or its
	// objects kept appearing, when the reap's wait ran out. The next
	// reap takes it up again.
	Unsettled string
	// Waited is how long the reap watched the run after its first
	// listing, for objects that appear late.
	Waited time.Duration
	// Malformed is set for a ledger that could not be trusted: nothing
	// was removed on its word.
	Malformed string
}

// Options bound a reap of stale runs.
type Options struct {
	DryRun bool
	// Timeout bounds each driver call.
	Timeout time.Duration
	// Settle is how long every listing of a dead run must find nothing,
	// with nothing of it in flight, before its record is removed: a
	// runtime that still held requests of the dead process can create
	// objects after a listing (DefaultSettle when zero).
	Settle time.Duration
	// Stall: a request of a gone client that a daemon has held for this
	// long, as first seen by any reap on this host, is taken to be stuck
	// or leaked rather than still at work (DefaultStall when zero).
	Stall time.Duration
	// MaxWait bounds the watch of one run; past it the record stays for
	// the next reap (DefaultMaxWait when zero).
	MaxWait time.Duration
	// Poll is the pause between listings (DefaultPoll when zero).
	Poll time.Duration
	// Log, when set, receives a line when a reap waits.
	Log func(format string, args ...any)
	// Reaped, when set, receives each run's outcome as it is done.
	Reaped func(Outcome)
}

// The defaults of Options.
const (
	DefaultSettle  = time.Second
	DefaultStall   = 10 * time.Second // per request
	DefaultMaxWait = time.Minute
	DefaultPoll    = 500 * time.Millisecond
)

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Settle <= 0 {
		o.Settle = DefaultSettle
	}
	if o.Stall <= 0 {
		o.Stall = DefaultStall
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	return o
}

// Stale removes what ledgered runs whose process is gone left behind:
// each Reaper driver's leftovers under "ae-<run>", then the run's scratch
// directory, then the ledger itself once the run has settled (see
// Options.Settle): a killed run's requests can still be in a daemon's
// hands, and what they create after the first listing is found by the
// later ones. Runs still alive are not touched; malformed ledgers are
// reported. A dry run lists once.
func Stale(ctx context.Context, dir string, drivers []driver.Driver, opts Options) ([]Outcome, error) {
	opts = opts.withDefaults()
	recs, err := ReadLedgers(dir)
	if err != nil {
		return nil, err
	}
	var out []Outcome
	for _, rec := range recs {
		var o Outcome
		switch {
		case rec.Err != nil:
			o = Outcome{Ledger: rec.Path, Malformed: rec.Err.Error()}
		case rec.Stale:
			o = reapRun(ctx, dir, rec, drivers, opts)
		default:
			continue
		}
		if opts.Reaped != nil {
			opts.Reaped(o)
		}
		out = append(out, o)
	}
	return out, nil
}

// reapRun lists and removes a dead run's objects, again and again, until
// listings have found nothing for opts.Settle and its runtimes hold nothing
// in flight for it; then it removes the run's record.
func reapRun(ctx context.Context, dir string, rec LedgerRecord, drivers []driver.Driver, opts Options) Outcome {
	e := rec.Entry
	sr := Outcome{RunID: e.RunID, Ledger: rec.Path}
	ordered := runDriversFirst(e, drivers)
	seen := loadSightings(dir)
	defer seen.save()
	removed := map[string]bool{}
	t0 := time.Now()
	var (
		quietSince time.Time // the first of the listings in a row that found nothing
		said       bool
	)
	for pass := 0; ; pass++ {
		p := listAndRemove(ctx, e, ordered, opts)
		for _, x := range p.removed {
			if k := leftoverKey(x); !removed[k] {
				removed[k] = true
				sr.Removed = append(sr.Removed, x)
			}
		}
		sr.Left = p.left
		if opts.DryRun {
			if e.ScratchDir != "" {
				if _, err := os.Lstat(e.ScratchDir); err == nil {
					sr.Removed = append(sr.Removed, "scratch dir "+e.ScratchDir)
				}
			}
			return sr
		}
		now := time.Now()
		if p.found || len(p.left) > 0 {
			quietSince = time.Time{}
		} else if quietSince.IsZero() {
			quietSince = now
		}
		inFlight, why := inFlightFor(ctx, e, ordered, seen, opts)
		quietFor := time.Duration(0)
		if !quietSince.IsZero() {
			quietFor = now.Sub(quietSince)
		}
		if quietFor >= opts.Settle && inFlight == 0 {
			break
		}
		if now.Sub(t0) >= opts.MaxWait || ctx.Err() != nil {
			switch {
			case len(p.left) > 0:
			case inFlight > 0:
				sr.Unsettled = why
			default:
				sr.Unsettled = fmt.Sprintf("its objects were still appearing after %s", now.Sub(t0).Round(time.Second))
			}
			break
		}
		if !said && opts.Log != nil {
			msg := fmt.Sprintf("watching it for up to %s for objects its runtimes create late", opts.MaxWait.Round(time.Second))
			if inFlight > 0 {
				msg += " (" + why + ")"
			}
			opts.Log("stale run %s: %s", e.RunID, msg)
			said = true
		}
		select {
		case <-ctx.Done():
		case <-time.After(opts.Poll):
		}
	}
	sr.Waited = time.Since(t0)
	if e.ScratchDir != "" {
		if _, err := os.Lstat(e.ScratchDir); err == nil {
			if err := os.RemoveAll(e.ScratchDir); err != nil {
				sr.Left = append(sr.Left, fmt.Sprintf("scratch dir %s: %v", e.ScratchDir, err))
			} else {
				sr.Removed = append(sr.Removed, "scratch dir "+e.ScratchDir)
			}
		}
	}
	if len(sr.Left) == 0 && sr.Unsettled == "" {
		if err := removeLedger(dir, e.RunID); err != nil {
			sr.Left = append(sr.Left, err.Error())
		}
	}
	return sr
}

// leftoverKey is what names a leftover across listings: a driver's line
// names the object first and gives its changing state in parentheses
// after ("docker container ae-x-000001 (3f2a, running)").
func leftoverKey(line string) string {
	if i := strings.Index(line, " ("); i > 0 {
		return line[:i]
	}
	return line
}

// runDriversFirst orders drivers with the run's own first: what they find
// is theirs. Others may find the same objects (processes and cgroups named
// with the prefix); each object is listed once, by the first driver that
// found it.
func runDriversFirst(e LedgerEntry, drivers []driver.Driver) []driver.Driver {
	ordered := make([]driver.Driver, 0, len(drivers))
	for _, d := range drivers {
		if containsString(e.Drivers, d.Variant()) {
			ordered = append(ordered, d)
		}
	}
	for _, d := range drivers {
		if !containsString(e.Drivers, d.Variant()) {
			ordered = append(ordered, d)
		}
	}
	return ordered
}

// passOutcome is one listing of a dead run through every driver, and the
// removal of what it found.
type passOutcome struct {
	found   bool
	removed []string
	left    []string
}

func listAndRemove(ctx context.Context, e LedgerEntry, drivers []driver.Driver, opts Options) passOutcome {
	var p passOutcome
	prefix := e.Prefix()
	seen := map[string]bool{}
	for _, d := range drivers {
		sw, ok := d.(driver.Reaper)
		if !ok {
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		left, err := sw.Leftovers(lctx, prefix)
		err = driver.TimedOut(lctx, err)
		cancel()
		if err != nil {
			// A driver that cannot run here (no runtime, no daemon) has
			// nothing to list; say so only when it is one the run used.
			if containsString(e.Drivers, d.Variant()) {
				p.left = append(p.left, fmt.Sprintf("%s: leftovers not listed: %v", d.Variant(), err))
			}
			continue
		}
		var fresh []string
		for _, x := range left {
			if !seen[x] {
				seen[x] = true
				fresh = append(fresh, x)
			}
		}
		left = fresh
		if len(left) == 0 {
			continue
		}
		p.found = true
		if opts.DryRun {
			p.removed = append(p.removed, prefixAll(d.Variant()+": ", left)...)
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		err = driver.TimedOut(sctx, sw.Reap(sctx, prefix))
		cancel()
		lctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		still, lerr := sw.Leftovers(lctx, prefix)
		cancel()
		if err == nil && lerr != nil {
			err = lerr
		}
		for _, x := range left {
			if !containsString(still, x) {
				p.removed = append(p.removed, d.Variant()+": "+x)
			}
		}
		for _, x := range still {
			p.left = append(p.left, d.Variant()+": "+x)
		}
		if err != nil && len(still) == 0 {
			p.left = append(p.left, fmt.Sprintf("%s: reap: %v", d.Variant(), err))
		}
	}
	return p
}

// inFlightFor counts what the run's drivers' daemons still handle for
// clients that are gone and have not held for opts.Stall, and says so in a
// phrase.
func inFlightFor(ctx context.Context, e LedgerEntry, drivers []driver.Driver, seen *sightings, opts Options) (int, string) {
	total := 0
	var parts []string
	asked := map[string]bool{}
	for _, d := range drivers {
		f, ok := d.(driver.InFlighter)
		if !ok || !slices.Contains(e.Drivers, d.Variant()) {
			continue
		}
		ictx, cancel := context.WithTimeout(ctx, opts.Timeout)
		ids, who, err := f.InFlight(ictx)
		cancel()
		if err != nil || asked[who] {
			continue
		}
		asked[who] = true
		n := seen.observe(who, ids, time.Now(), opts.Stall)
		if n == 0 {
			continue
		}
		total += n
		parts = append(parts, fmt.Sprintf("%s still handles %d request(s) of clients that are gone", who, n))
	}
	return total, strings.Join(parts, "; ")
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func prefixAll(p string, list []string) []string {
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = p + x
	}
	return out
}
