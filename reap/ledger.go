package reap

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/moby/sys/atomicwriter"

	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/internal/capped"
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
// which a later reap finds.
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
		// Temporary files and the sightings of requests in flight are
		// not records.
		if !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") || name == sightingsFile {
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
	b, err := capped.ReadFile(path, max)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	return b, nil
}

// writeFileSync writes dir/name atomically (a temporary file, synced,
// renamed) and syncs the directory, so that a record survives a crash.
func writeFileSync(dir, name string, data []byte) error {
	if err := atomicwriter.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
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
