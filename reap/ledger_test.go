package reap

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/host"
)

func TestLedgerWriteReadRemove(t *testing.T) {
	dir := t.TempDir()
	scratch := filepath.Join(t.TempDir(), "ae-0a1b2c3d_scratch")
	l, err := OpenLedger(dir, LedgerEntry{RunID: "0a1b2c3d", Started: time.Now().UTC(), Drivers: []string{"docker/runc"}, ScratchDir: scratch})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ae-0a1b2c3d-000001", "ae-0a1b2c3d-000002"} {
		if err := l.AddSandbox(id); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := ReadLedgers(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Err != nil {
		t.Fatalf("ledgers %+v: want one well-formed", recs)
	}
	e := recs[0].Entry
	if e.PID != os.Getpid() || e.ProcStart == 0 || len(e.Sandboxes) != 2 || e.ScratchDir != scratch {
		t.Errorf("entry %+v: want this process, its start time, two sandboxes and the scratch dir", e)
	}
	if recs[0].Stale {
		t.Error("a ledger of this live process reads as stale")
	}
	if err := l.Remove(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("after Remove the ledger dir holds %d entries", len(ents))
	}
}

func TestLedgerStaleByPIDAndStartTime(t *testing.T) {
	self, err := host.ReadStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		pid       int
		start     uint64
		wantStale bool
	}{
		{"this process", os.Getpid(), self.StartTime, false},
		{"this pid, reused: another start time", os.Getpid(), self.StartTime + 1, true},
		{"no such pid", 1 << 30, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			e := LedgerEntry{RunID: "deadbeef", PID: tt.pid, ProcStart: tt.start, Drivers: []string{"docker/runc"}}
			writeLedger(t, dir, e)
			recs, err := ReadLedgers(dir)
			if err != nil || len(recs) != 1 || recs[0].Err != nil {
				t.Fatalf("ReadLedgers: %+v, %v", recs, err)
			}
			if recs[0].Stale != tt.wantStale {
				t.Errorf("stale %v, want %v", recs[0].Stale, tt.wantStale)
			}
		})
	}
}

func TestMalformedLedgersAreReportedNotTrusted(t *testing.T) {
	victim := t.TempDir() // must survive every reap below
	tests := []struct {
		name  string
		write func(t *testing.T, dir string)
		want  string
	}{
		{"not json", func(t *testing.T, dir string) { writeRaw(t, dir, "0000000a.json", "{not json") }, "not a ledger"},
		{"two documents", func(t *testing.T, dir string) {
			writeRaw(t, dir, "0000000b.json", `{"run_id":"0000000b","pid":1,"proc_start":1,"started":"2026-01-01T00:00:00Z","drivers":[],"scratch_dir":""}{}`)
		}, "data after"},
		{"unknown field", func(t *testing.T, dir string) {
			writeRaw(t, dir, "0000000c.json", `{"run_id":"0000000c","pid":1,"rm":"-rf /"}`)
		}, "not a ledger"},
		{"run id not hex", func(t *testing.T, dir string) { writeRaw(t, dir, "zzzzzzzz.json", `{"run_id":"zzzzzzzz","pid":1}`) }, "8 hex"},
		{"file name mismatch", func(t *testing.T, dir string) { writeRaw(t, dir, "0000000d.json", `{"run_id":"0000000e","pid":1}`) }, "does not match"},
		{"scratch dir not the run's", func(t *testing.T, dir string) {
			writeRaw(t, dir, "0000000f.json", `{"run_id":"0000000f","pid":1073741824,"scratch_dir":"`+victim+`"}`)
		}, "not the run's own"},
		{"foreign sandbox id", func(t *testing.T, dir string) {
			writeRaw(t, dir, "00000010.json", `{"run_id":"00000010","pid":1073741824}`)
			writeRaw(t, dir, "00000010.ids", "ae-00000010-000001\nsomething-else\n")
		}, "prefix"},
		{"too large", func(t *testing.T, dir string) {
			writeRaw(t, dir, "00000011.json", `{"run_id":"00000011","pid":1}`+strings.Repeat(" ", maxLedgerBytes))
		}, "more than"},
		{"symlink", func(t *testing.T, dir string) {
			writeRaw(t, dir, "target", `{"run_id":"00000012","pid":1}`)
			if err := os.Symlink(filepath.Join(dir, "target"), filepath.Join(dir, "00000012.json")); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file"},
		{"directory", func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, "00000013.json"), 0o700); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.write(t, dir)
			reaped, err := Stale(context.Background(), dir, nil, quickReap)
			if err != nil {
				t.Fatal(err)
			}
			if len(reaped) != 1 || reaped[0].Malformed == "" {
				t.Fatalf("reaped %+v: want one malformed ledger reported", reaped)
			}
			if !strings.Contains(reaped[0].Malformed, tt.want) {
				t.Errorf("malformed %q: want it to say %q", reaped[0].Malformed, tt.want)
			}
			if _, err := os.Stat(victim); err != nil {
				t.Errorf("a malformed ledger made the reap remove %s", victim)
			}
		})
	}
}

func TestReapStaleRemovesScratchAndLedger(t *testing.T) {
	dir := t.TempDir()
	scratch := filepath.Join(t.TempDir(), "ae-00c0ffee_scratch")
	if err := os.MkdirAll(filepath.Join(scratch, "ae-00c0ffee-000001"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeLedger(t, dir, LedgerEntry{RunID: "00c0ffee", PID: 1 << 30, ProcStart: 1, ScratchDir: scratch})
	live := LedgerEntry{RunID: "0000beef", ScratchDir: filepath.Join(t.TempDir(), "ae-0000beef_scratch")}
	l, err := OpenLedger(dir, live)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Remove()
	dry, err := Stale(context.Background(), dir, nil, Options{DryRun: true, Timeout: time.Second})
	if err != nil || len(dry) != 1 || len(dry[0].Removed) != 1 {
		t.Fatalf("dry run %+v, %v: want the stale run's scratch dir listed", dry, err)
	}
	if _, err := os.Stat(scratch); err != nil {
		t.Fatal("a dry run removed the scratch dir")
	}
	reaped, err := Stale(context.Background(), dir, nil, quickReap)
	if err != nil || len(reaped) != 1 || reaped[0].RunID != "00c0ffee" || len(reaped[0].Left) != 0 {
		t.Fatalf("reaped %+v, %v: want the stale run only, nothing left", reaped, err)
	}
	if _, err := os.Stat(scratch); !os.IsNotExist(err) {
		t.Errorf("scratch dir still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "00c0ffee.json")); !os.IsNotExist(err) {
		t.Errorf("stale ledger still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "0000beef.json")); err != nil {
		t.Errorf("the live run's ledger was removed: %v", err)
	}
}

// quickReap settles a run with no drivers at once.
var quickReap = Options{Timeout: time.Second, Settle: 10 * time.Millisecond, Poll: 5 * time.Millisecond}

func writeLedger(t *testing.T, dir string, e LedgerEntry) {
	t.Helper()
	b := []byte(`{"run_id":"` + e.RunID + `","pid":` + strconv.Itoa(e.PID) + `,"proc_start":` + strconv.FormatUint(e.ProcStart, 10) + `,"started":"2026-01-01T00:00:00Z","drivers":[],"scratch_dir":"` + e.ScratchDir + `"}`)
	writeRaw(t, dir, e.RunID+".json", string(b))
}

func writeRaw(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
