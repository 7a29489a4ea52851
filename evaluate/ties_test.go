package evaluate

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/rubric"
	"github.com/agentic-eval/agentic-eval/vms"
)

// around is n bootstrap replicates spread evenly over [m-w, m+w], in a
// shuffled order: replicates of different variants are independent draws.
func around(m, w float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = m - w + 2*w*float64(i)/float64(n-1)
	}
	rng := rand.New(rand.NewPCG(uint64(m*1e6), 7))
	rng.Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func TestRanksShareAPlaceOnlyWhenFitnessCannotBeToldApart(t *testing.T) {
	cases := []struct {
		name string
		rows []Row
		want []int
		tied []bool
	}{
		{
			name: "overlapping replicates tie; a clear gap does not",
			rows: []Row{
				{Fitness: 0.75, fits: around(0.75, 0.03, 1000)},
				{Fitness: 0.74, fits: around(0.74, 0.03, 1000)},
				{Fitness: 0.60, fits: around(0.60, 0.01, 1000)},
			},
			want: []int{1, 1, 3},
			tied: []bool{true, true, false},
		},
		{
			name: "two curated rows tie only when equal",
			rows: []Row{{Fitness: 0.65}, {Fitness: 0.65}, {Fitness: 0.62}},
			want: []int{1, 1, 3},
			tied: []bool{true, true, false},
		},
		{
			name: "a curated point inside a measured interval ties with it",
			rows: []Row{{Fitness: 0.64, fits: around(0.64, 0.05, 1000)}, {Fitness: 0.62}},
			want: []int{1, 1},
			tied: []bool{true, true},
		},
		{
			name: "ties anchor on the group's first row, not transitively",
			rows: []Row{
				{Fitness: 0.80, fits: around(0.80, 0.02, 1000)},
				{Fitness: 0.78, fits: around(0.78, 0.02, 1000)}, // overlaps the first
				{Fitness: 0.75, fits: around(0.75, 0.02, 1000)}, // overlaps the second, not the first
			},
			want: []int{1, 1, 3},
			tied: []bool{true, true, false},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i, r := range assignRanks(c.rows) {
				if r.Rank != c.want[i] || r.Tied != c.tied[i] {
					t.Errorf("row %d (fitness %.2f): rank %d tied %v; want %d tied %v", i, r.Fitness, r.Rank, r.Tied, c.want[i], c.tied[i])
				}
			}
		})
	}
}

func TestPublishedFiguresStandWhereNothingWasMeasured(t *testing.T) {
	ev := Evaluate(nil, vms.Weights{}, Options{})
	rows := map[vms.System]Row{}
	for _, r := range ev.Rows {
		rows[r.System] = r
	}
	kata := rows[vms.Kata]
	var density AxisValue
	for _, a := range kata.Axes {
		if a.Axis == vms.Density.Name() {
			density = a
		}
	}
	if density.Provenance != rubric.Published || density.Curated != 0.60 || density.Score >= 0.45 {
		t.Fatalf("kata density %+v; want the published score in place of the curated 0.60", density)
	}
	flagged := false
	for _, d := range kata.Disagreements {
		if d.Axis == "density" && d.Variant == "published" && d.Provenance == rubric.Published {
			flagged = true
		}
	}
	if !flagged {
		t.Errorf("kata's published density disagrees with the catalog by more than the threshold, unflagged: %+v", kata.Disagreements)
	}
	if a := rows[vms.AetherVM]; len(a.Published) != 0 || !strings.Contains(a.PublishedNone, "judgment alone") {
		t.Errorf("aethervm: %+v / %q", a.Published, a.PublishedNone)
	}
	// Firecracker's figures bound other quantities: each enters as an
	// interval, and so does the fitness they make.
	for _, a := range rows[vms.Firecracker].Axes {
		if (a.Axis == "start-latency" || a.Axis == "density") && (!a.Bound || a.Lo == nil || a.Hi == nil || *a.Lo > a.Score || a.Score > *a.Hi) {
			t.Errorf("firecracker %s: %+v, want a bound with its interval", a.Axis, a)
		}
	}
	if f := row(t, Evaluate(nil, vms.Balanced(), Options{}), vms.Firecracker); f.FitnessLo == nil || *f.FitnessLo > f.Fitness || f.Fitness > *f.FitnessHi || *f.FitnessHi-*f.FitnessLo < 0.1 {
		t.Errorf("firecracker's fitness %.3f has interval %v..%v, want the bounds' width around it", f.Fitness, f.FitnessLo, f.FitnessHi)
	}
	if k := row(t, Evaluate(nil, vms.Balanced(), Options{}), vms.Kata); k.FitnessLo != nil {
		t.Errorf("kata's published figures are values, not bounds, yet its fitness has an interval from %v", *k.FitnessLo)
	}
}
