package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentic-eval/agentic-eval/residue"
	"github.com/agentic-eval/agentic-eval/results"
)

func fleetRun(t *testing.T) *results.Results {
	t.Helper()
	// A recorded gVisor run of the density fill and a 3 s churn, on a
	// shared host (fleet-run.json).
	res, err := results.ReadResultsFile(filepath.Join("testdata", "fleet-run.json"))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func tableText(t *testing.T, tb *Table) string {
	t.Helper()
	var b strings.Builder
	if err := tb.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The capacity table shows the slope with its interval and that it never
// stabilised, the accounting beside it, and both methods' sandboxes per
// GiB and projection to this host.
func TestCapacityTableOfARecordedFill(t *testing.T) {
	tb := capacityTable(fleetRun(t))
	if tb == nil || len(tb.Rows) != 1 {
		t.Fatalf("capacity table %+v", tb)
	}
	row := tb.Rows[0]
	for i, want := range []string{"gvisor/systrap", "24", "cap", "7.64 [3.06, 12.21] (n=7, R²=0.79) unstable", "15.52 [15.14, 15.64]", "134 / 66", "2530 / 1245", "stopped", "4.39 s"} {
		if row[i] != want {
			t.Errorf("column %s = %q, want %q", tb.Header[i], row[i], want)
		}
	}
}

// A slope whose interval includes zero projects nothing: a dash, and a
// note under the table says why.
func TestCapacityWithoutASlopeProjectionShowsADashAndWhy(t *testing.T) {
	res := fleetRun(t)
	c := res.Systems[0].Density.Capacity
	c.BySlope = results.Project("slope", 1.15, -1.97, 4.27, c.MemTotalBytes, res.Systems[0].Density.MemAvailableBefore, c.GuardBytes)
	row := capacityTable(res).Rows[0]
	if row[5] != "- / 66" || row[6] != "- / 1245" {
		t.Errorf("per GiB %q, host %q", row[5], row[6])
	}
	notes := strings.Join(fleetNotes(res.Systems[0]), "\n")
	if !strings.Contains(notes, "capacity by slope not projected: the cost's interval [-1.97, 4.27] MiB includes zero") {
		t.Errorf("notes:\n%s", notes)
	}
}

// The churn table shows the drift of each series with its p-value and
// verdict, that the run left nothing of its own, and the host-wide growth
// with its figures.
func TestChurnTableOfARecordedLoop(t *testing.T) {
	tb := churnTable(fleetRun(t))
	if tb == nil || len(tb.Rows) != 1 {
		t.Fatalf("churn table %+v", tb)
	}
	row := tb.Rows[0]
	for i, want := range []string{"gvisor/systrap", "python-hello", "14", "time budget: 3s", "169 ms [133 ms, 203 ms]", "34.5 ms",
		"146 ms → 232 ms (+59%), p=0.016: slower at the end", "19.3 ms → 49.1 ms (+155%), p=0.0079: slower at the end", "none",
		"cgroups 26 → 136 (+110); entries of /run/agentic-eval/runc 0 → 13 (+13)", "3.29 s"} {
		if row[i] != want {
			t.Errorf("column %s = %q, want %q", tb.Header[i], row[i], want)
		}
	}
}

// Residue of the run's own shows in the table and, one line each, in the
// notes.
func TestChurnResidueOfTheRunIsShown(t *testing.T) {
	res := fleetRun(t)
	c := res.Systems[0].Churn
	c.Residue = &residue.HostDiff{Own: []string{"state /run/agentic-eval/runsc/ae-bd85261e-000031"}}
	row := churnTable(res).Rows[0]
	if row[8] != "1: state /run/agentic-eval/runsc/ae-bd85261e-000031" || row[9] != "none" {
		t.Errorf("own %q, host-wide %q", row[8], row[9])
	}
	if notes := strings.Join(fleetNotes(res.Systems[0]), "\n"); !strings.Contains(notes, "gvisor/systrap: churn left: state /run/agentic-eval/runsc/ae-bd85261e-000031") {
		t.Errorf("notes:\n%s", notes)
	}
}

func TestFleetTablesAreAbsentWhenNothingWasMeasured(t *testing.T) {
	res := fleetRun(t)
	res.Systems[0].Churn, res.Systems[0].Density = nil, nil
	if got := fleetTables(res); len(got) != 0 {
		t.Errorf("tables %v", got)
	}
}

// --capacity fills to the guard: the cap and time bound lift to their
// capacity defaults unless given.
func TestCapacityFlagLiftsTheFillsBounds(t *testing.T) {
	for _, c := range []struct {
		args    []string
		density int
		bound   time.Duration
		capMode bool
	}{
		{nil, 16, 6 * time.Second, false},
		{[]string{"--capacity"}, results.MaxCapacityFill, results.CapacityTime, true},
		{[]string{"--capacity", "--density", "30"}, 30, results.CapacityTime, true},
		{[]string{"--capacity", "--density-time", "90s"}, results.MaxCapacityFill, 90 * time.Second, true},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var f measureFlags
			cmd := &cobra.Command{}
			f.add(cmd)
			if err := cmd.ParseFlags(c.args); err != nil {
				t.Fatal(err)
			}
			s, err := f.settings()
			if err != nil {
				t.Fatal(err)
			}
			if s.Density != c.density || s.DensityTime != c.bound || s.Capacity != c.capMode {
				t.Errorf("density %d, time %s, capacity %v", s.Density, s.DensityTime, s.Capacity)
			}
		})
	}
}
