package measure

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"

	"github.com/agentic-eval/agentic-eval/host"
)

// DefaultStateDir is the project's state directory; $AGENTIC_EVAL_STATE
// overrides it.
const DefaultStateDir = "/var/lib/agentic-eval"

// Ledger file limits: a ledger is written by this tool and small; anything
// larger is not one.
const (
	maxLedgerBytes = 64 << 10
	maxIDsBytes    = 16 << 20
)

// LedgerDir is where runs record themselves: $AGENTIC_EVAL_STATE/runs, or
// /var/lib/agentic-eval/runs.
func LedgerDir() string {
	if d := os.Getenv("AGENTIC_EVAL_STATE"); d != "" {
		return filepath.Join(d, "runs")
	}
	return filepath.Join(DefaultStateDir, "runs")
}

// LedgerEntry is what a run records about itself before it creates
// anything, in <dir>/<run>.json. The sandboxes it asks drivers for are
// appended, one ID a line, to <dir>/<run>.ids.
type LedgerEntry struct {
	RunID string `json:"run_id"`
	PID   int    `json:"pid"`
	// ProcStart is the run's process start time (clock ticks after boot,
	// /proc/<pid>/stat field 22): a reused PID has another.
	ProcStart  uint64    `json:"proc_start"`
	BootID     string    `json:"boot_id,omitempty"`
	Started    time.Time `json:"started"`
	Drivers    []string  `json:"drivers"`
	ScratchDir string    `json:"scratch_dir"`
	// Sandboxes are read from the .ids file; not part of the JSON.
	Sandboxes []string `json:"-"`
}

// Prefix is the name prefix of everything the run created.
func (e LedgerEntry) Prefix() string { return "ae-" + e.RunID }

var runIDPattern = regexp.MustCompile(`^[0-9a-f]{8}$`)

// Ledger is an open run's record.
type Ledger struct {
	dir   string
	entry LedgerEntry
	mu    sync.Mutex
	ids   *os.File
}

// OpenLedger records the run in dir, atomically and fsynced, with this
// process's PID and start time, and opens its sandbox list for appending.
func OpenLedger(dir string, e LedgerEntry) (*Ledger, error) {
	if !runIDPattern.MatchString(e.RunID) {
		return nil, fmt.Errorf("ledger: run id %q is not 8 hex digits", e.RunID)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ledger dir: %w", err)
	}
	e.PID = os.Getpid()
	st, err := host.ReadStat(e.PID)
	if err != nil {
		return nil, fmt.Errorf("ledger: own process start time: %w", err)
	}
	e.ProcStart = st.StartTime
	if e.BootID == "" {
		if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
			e.BootID = strings.TrimSpace(string(b))
		}
	}
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("ledger: encode: %w", err)
	}
	if err := writeFileSync(dir, e.RunID+".json", append(b, '\n')); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, e.RunID+".ids"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		os.Remove(filepath.Join(dir, e.RunID+".json"))
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, fmt.Errorf("ledger: %w", err)
	}
	return &Ledger{dir: dir, entry: e, ids: f}, nil
}

// Entry is what the ledger recorded.
func (l *Ledger) Entry() LedgerEntry { return l.entry }

// AddSandbox appends a sandbox ID, fsynced, before the driver is asked to
// create it.
func (l *Ledger) AddSandbox(id string) error {
	if strings.ContainsAny(id, "\n\x00") {
		return fmt.Errorf("ledger: sandbox id %q holds a newline", id)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids == nil {
		return errors.New("ledger: closed")
	}
	if _, err := l.ids.WriteString(id + "\n"); err != nil {
		return fmt.Errorf("ledger: append %s: %w", id, err)
	}
	if err := l.ids.Sync(); err != nil {
		return fmt.Errorf("ledger: append %s: %w", id, err)
	}
	return nil
}

// Remove closes the ledger and deletes it: the run ended and left nothing.
func (l *Ledger) Remove() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids != nil {
		l.ids.Close()
		l.ids = nil
	}
	return removeLedger(l.dir, l.entry.RunID)
}

// Close closes the ledger and keeps it: the run ended with something left,
// which a later sweep finds.
func (l *Ledger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids == nil {
		return nil
	}
	err := l.ids.Close()
	l.ids = nil
	return err
}

func removeLedger(dir, runID string) error {
	var errs []error
	for _, ext := range []string{".ids", ".json"} {
		if err := os.Remove(filepath.Join(dir, runID+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove ledger %s: %w", runID, err)
	}
	return nil
}

// LedgerRecord is one ledger file as found, trusted or not.
type LedgerRecord struct {
	Path  string
	Entry LedgerEntry
	// Err is set when the file is malformed; Entry is then not to be
	// trusted, and nothing is removed on its word.
	Err error
	// Stale is set when the run's process is gone (no such PID, or one
	// with another start time).
	Stale bool
}

// ReadLedgers reads every ledger in dir, sorted by path. A missing dir
// holds none. A malformed ledger is returned with Err set, never trusted.
func ReadLedgers(dir string) ([]LedgerRecord, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledgers: %w", err)
	}
	var out []LedgerRecord
	for _, de := range ents {
		name := de.Name()
		if !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, name)
		e, err := ReadLedger(path)
		rec := LedgerRecord{Path: path, Entry: e, Err: err}
		if err == nil {
			rec.Stale = !host.SameProcess(e.PID, e.ProcStart) || !sameBoot(e.BootID)
		}
		out = append(out, rec)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func sameBoot(id string) bool {
	if id == "" {
		return true
	}
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return err != nil || strings.TrimSpace(string(b)) == id
}

// ReadLedger reads one ledger with checks: a regular file of at most 64 KiB,
// one JSON object of known fields, a run ID of 8 hex digits that names the
// file, a positive PID, and a scratch directory that is the run's own; then
// its sandbox list, whose every line must carry the run's prefix.
func ReadLedger(path string) (LedgerEntry, error) {
	var e LedgerEntry
	b, err := readCapped(path, maxLedgerBytes)
	if err != nil {
		return e, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return LedgerEntry{}, fmt.Errorf("ledger %s: not a ledger: %v", path, err)
	}
	if dec.More() {
		return LedgerEntry{}, fmt.Errorf("ledger %s: data after the ledger", path)
	}
	switch {
	case !runIDPattern.MatchString(e.RunID):
		return LedgerEntry{}, fmt.Errorf("ledger %s: run id is not 8 hex digits", path)
	case filepath.Base(path) != e.RunID+".json":
		return LedgerEntry{}, fmt.Errorf("ledger %s: file name does not match run id %s", path, e.RunID)
	case e.PID <= 0:
		return LedgerEntry{}, fmt.Errorf("ledger %s: pid %d", path, e.PID)
	case e.ScratchDir != "" && (!filepath.IsAbs(e.ScratchDir) || !strings.HasPrefix(filepath.Base(e.ScratchDir), e.Prefix()+"_")):
		return LedgerEntry{}, fmt.Errorf("ledger %s: scratch dir %q is not the run's own (%s_*)", path, host.Truncate(e.ScratchDir, 200), e.Prefix())
	}
	idsPath := strings.TrimSuffix(path, ".json") + ".ids"
	ids, err := readCapped(idsPath, maxIDsBytes)
	if errors.Is(err, os.ErrNotExist) {
		return e, nil
	}
	if err != nil {
		return LedgerEntry{}, err
	}
	sc := bufio.NewScanner(strings.NewReader(string(ids)))
	for sc.Scan() {
		id := sc.Text()
		if id == "" {
			continue
		}
		if !strings.HasPrefix(id, e.Prefix()+"-") || len(id) > 200 {
			return LedgerEntry{}, fmt.Errorf("ledger %s: sandbox %q does not carry the run's prefix", idsPath, host.Truncate(id, 80))
		}
		e.Sandboxes = append(e.Sandboxes, id)
	}
	return e, nil
}

// readCapped reads a regular file (no symlink, device or FIFO) of at most
// max bytes.
func readCapped(path string, max int64) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("ledger %s: not a regular file", path)
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("ledger %s: %d bytes, more than %d", path, fi.Size(), max)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("ledger %s: more than %d bytes", path, max)
	}
	return b, nil
}

// writeFileSync writes dir/name atomically: a temporary file, fsynced,
// renamed, and the directory fsynced.
func writeFileSync(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, "."+name+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// SweptRun is what a sweep did, or would do, for one ledgered run.
type SweptRun struct {
	RunID  string
	Ledger string
	// Removed lists what was removed (or, in a dry run, what would be).
	Removed []string
	// Left lists what could not be removed, with the error.
	Left []string
	// Unsettled says why the run's record stays although nothing of it
	// is left now: its runtimes were still handling its requests, or its
	// objects kept appearing, when the sweep's wait ran out. The next
	// sweep takes it up again.
	Unsettled string
	// Waited is how long the sweep watched the run after its first
	// listing, for objects that appear late.
	Waited time.Duration
	// Malformed is set for a ledger that could not be trusted: nothing
	// was removed on its word.
	Malformed string
}

// SweepOptions bound a sweep of stale runs.
type SweepOptions struct {
	DryRun bool
	// Timeout bounds each driver call.
	Timeout time.Duration
	// Settle is how long every listing of a dead run must find nothing,
	// with nothing of it in flight, before its record is removed: a
	// runtime that still held requests of the dead process can create
	// objects after a listing (DefaultSettle when zero).
	Settle time.Duration
	// Stall: requests in flight whose count has not moved for this long
	// while listings find nothing are taken to be no longer the run's (a
	// daemon can hold other dead clients' long requests) (DefaultStall
	// when zero).
	Stall time.Duration
	// MaxWait bounds the watch of one run; past it the record stays for
	// the next sweep (DefaultMaxWait when zero).
	MaxWait time.Duration
	// Poll is the pause between listings (DefaultPoll when zero).
	Poll time.Duration
	// Log, when set, receives a line when a sweep waits.
	Log func(format string, args ...any)
}

// The defaults of SweepOptions.
const (
	DefaultSettle  = time.Second
	DefaultStall   = 10 * time.Second
	DefaultMaxWait = time.Minute
	DefaultPoll    = 500 * time.Millisecond
)

func (o SweepOptions) withDefaults() SweepOptions {
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

// SweepStale removes what ledgered runs whose process is gone left behind:
// each Sweeper driver's leftovers under "ae-<run>", then the run's scratch
// directory, then the ledger itself once the run has settled (see
// SweepOptions.Settle): a killed run's requests can still be in a daemon's
// hands, and what they create after the first listing is found by the
// later ones. Runs still alive are not touched; malformed ledgers are
// reported. A dry run lists once.
func SweepStale(ctx context.Context, dir string, drivers []driver.Driver, opts SweepOptions) ([]SweptRun, error) {
	opts = opts.withDefaults()
	recs, err := ReadLedgers(dir)
	if err != nil {
		return nil, err
	}
	var out []SweptRun
	for _, rec := range recs {
		if rec.Err != nil {
			out = append(out, SweptRun{Ledger: rec.Path, Malformed: rec.Err.Error()})
			continue
		}
		if !rec.Stale {
			continue
		}
		out = append(out, sweepRun(ctx, dir, rec, drivers, opts))
	}
	return out, nil
}

// sweepRun lists and removes a dead run's objects, again and again, until
// listings have found nothing for opts.Settle and its runtimes hold nothing
// in flight for it; then it removes the run's record.
func sweepRun(ctx context.Context, dir string, rec LedgerRecord, drivers []driver.Driver, opts SweepOptions) SweptRun {
	e := rec.Entry
	sr := SweptRun{RunID: e.RunID, Ledger: rec.Path}
	ordered := runDriversFirst(e, drivers)
	removed := map[string]bool{}
	t0 := time.Now()
	var (
		quietSince   time.Time // the first of the listings in a row that found nothing
		inFlight     = -1
		inFlightSeen time.Time // when inFlight last changed
		said         bool
	)
	for pass := 0; ; pass++ {
		p := sweepPass(ctx, e, ordered, opts)
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
		n, why := inFlightFor(ctx, e, ordered, opts.Timeout)
		if n != inFlight {
			inFlight, inFlightSeen = n, now
		}
		quietFor := time.Duration(0)
		if !quietSince.IsZero() {
			quietFor = now.Sub(quietSince)
		}
		drained := inFlight <= 0 || now.Sub(inFlightSeen) >= opts.Stall
		if quietFor >= opts.Settle && drained {
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

// passResult is one listing of a dead run through every driver, and the
// removal of what it found.
type passResult struct {
	found   bool
	removed []string
	left    []string
}

func sweepPass(ctx context.Context, e LedgerEntry, drivers []driver.Driver, opts SweepOptions) passResult {
	var p passResult
	prefix := e.Prefix()
	seen := map[string]bool{}
	for _, d := range drivers {
		sw, ok := d.(driver.Reaper)
		if !ok {
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		left, err := sw.Leftovers(lctx, prefix)
		err = timeoutCause(lctx, err)
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
		err = timeoutCause(sctx, sw.Reap(sctx, prefix))
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
			p.left = append(p.left, fmt.Sprintf("%s: sweep: %v", d.Variant(), err))
		}
	}
	return p
}

// inFlightFor sums what the run's drivers' daemons still handle for
// clients that are gone, and says so in a phrase.
func inFlightFor(ctx context.Context, e LedgerEntry, drivers []driver.Driver, timeout time.Duration) (int, string) {
	total := 0
	var parts []string
	asked := map[string]bool{}
	for _, d := range drivers {
		f, ok := d.(driver.InFlighter)
		if !ok || !containsString(e.Drivers, d.Variant()) {
			continue
		}
		ictx, cancel := context.WithTimeout(ctx, timeout)
		n, who, err := f.InFlight(ictx)
		cancel()
		if err != nil || n == 0 || asked[who] {
			continue
		}
		asked[who] = true
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
