package compare

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
)

// Bound is one line of a baseline: a statistic of one variant's figure
// held under a ceiling or over a floor.
type Bound struct {
	Line    int     `json:"line"`
	Variant string  `json:"variant"`
	Figure  string  `json:"figure"`
	Stat    string  `json:"stat"` // median, p90, p99, min, max
	Op      string  `json:"op"`   // <=, <, >=, >
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"` // the figure's unit the value was converted to: ms or MiB
	Text    string  `json:"text"` // the line as written
}

// Stats a bound may name.
var Stats = []string{"median", "p90", "p99", "min", "max"}

var ops = []string{"<=", "<", ">=", ">"}

// units converts a written unit to its figure unit and factor.
var units = map[string]struct {
	unit   string
	factor float64
}{
	"ns": {"ms", 1e-6}, "us": {"ms", 1e-3}, "µs": {"ms", 1e-3}, "ms": {"ms", 1}, "s": {"ms", 1e3},
	"B": {"MiB", 1.0 / mib}, "KiB": {"MiB", 1.0 / 1024}, "MiB": {"MiB", 1}, "GiB": {"MiB", 1024},
}

// MaxBaselineBytes bounds a baseline file: it is a few lines a team keeps.
const MaxBaselineBytes = 1 << 20

// ParseBaseline reads a baseline: one bound per line,
//
//	VARIANT FIGURE STAT OP VALUE+UNIT
//	docker/runc start-latency median <= 40ms
//
// with blank lines and #-comments ignored. Figures are the names Figures
// gives; units are ns, us, ms, s for times and B, KiB, MiB, GiB for memory.
// The first malformed line is an error naming its number and what is
// valid.
func ParseBaseline(r io.Reader) ([]Bound, error) {
	var out []Bound
	sc := bufio.NewScanner(io.LimitReader(r, MaxBaselineBytes+1))
	sc.Buffer(make([]byte, 4096), 64<<10)
	read := 0
	for n := 1; sc.Scan(); n++ {
		read += len(sc.Bytes()) + 1
		if read > MaxBaselineBytes {
			return nil, fmt.Errorf("baseline is larger than %d bytes: a baseline is a few bounds, one per line", MaxBaselineBytes)
		}
		text := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = strings.TrimSpace(text[:i])
		}
		if text == "" {
			continue
		}
		b, err := parseBound(text)
		if err != nil {
			return nil, fmt.Errorf("baseline line %d: %v", n, err)
		}
		b.Line = n
		out = append(out, b)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("baseline: %v (a line longer than 64 KiB, or not text)", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("baseline has no bounds: want lines like %q", "docker/runc start-latency median <= 40ms")
	}
	return out, nil
}

func parseBound(text string) (Bound, error) {
	f := strings.Fields(text)
	if len(f) != 5 {
		return Bound{}, fmt.Errorf("%d fields in %q: want VARIANT FIGURE STAT OP VALUE, e.g. %q", len(f), truncate(text), "docker/runc start-latency median <= 40ms")
	}
	b := Bound{Variant: f[0], Figure: f[1], Stat: f[2], Op: f[3], Text: text}
	if !contains(Stats, b.Stat) {
		return Bound{}, fmt.Errorf("statistic %q: want one of %s", truncate(b.Stat), strings.Join(Stats, ", "))
	}
	if !contains(ops, b.Op) {
		return Bound{}, fmt.Errorf("operator %q: want one of %s", truncate(b.Op), strings.Join(ops, " "))
	}
	num := strings.TrimRightFunc(f[4], func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
	unit := f[4][len(num):]
	u, ok := units[unit]
	if !ok {
		return Bound{}, fmt.Errorf("value %q has no known unit: want a number with one of ns, us, ms, s (times) or B, KiB, MiB, GiB (memory)", truncate(f[4]))
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || v < 0 {
		return Bound{}, fmt.Errorf("value %q is not a non-negative number", truncate(f[4]))
	}
	b.Value, b.Unit = v*u.factor, u.unit
	return b, nil
}

// Outcome is one bound checked against a run.
type Outcome struct {
	Bound Bound `json:"bound"`
	// Value is the statistic measured, in Bound.Unit; Measured says whether
	// there was one.
	Value    float64 `json:"value"`
	Measured bool    `json:"measured"`
	N        int     `json:"n"`
	Pass     bool    `json:"pass"`
	Message  string  `json:"message"`
}

// Check holds every bound against res. A bound whose figure was not
// measured fails: a check that cannot be made is not a pass.
func Check(res *results.Results, bounds []Bound) []Outcome {
	figs := figureMap(res)
	out := make([]Outcome, 0, len(bounds))
	for _, b := range bounds {
		o := Outcome{Bound: b}
		f, ok := figs[b.Variant][b.Figure]
		switch {
		case figs[b.Variant] == nil:
			o.Message = fmt.Sprintf("line %d: %s was not measured in this run (variants measured: %s)", b.Line, b.Variant, strings.Join(keys(figs), ", "))
		case !ok:
			o.Message = fmt.Sprintf("line %d: %s has no figure %s in this run (it has: %s)", b.Line, b.Variant, b.Figure, strings.Join(keys(figs[b.Variant]), ", "))
		case f.Unit != b.Unit:
			o.Message = fmt.Sprintf("line %d: %s %s is in %s, the bound in %s", b.Line, b.Variant, b.Figure, f.Unit, b.Unit)
		default:
			o.Measured, o.N = true, len(f.Values)
			o.Value = stat(f.Values, b.Stat)
			o.Pass = holds(o.Value, b.Op, b.Value)
			verdict := "within"
			if !o.Pass {
				verdict = "OUTSIDE"
			}
			o.Message = fmt.Sprintf("line %d: %s %s %s is %.3g %s (n=%d), %s the bound %s %.3g %s",
				b.Line, b.Variant, b.Figure, b.Stat, o.Value, f.Unit, o.N, verdict, b.Op, b.Value, b.Unit)
		}
		out = append(out, o)
	}
	return out
}

func stat(vals []float64, name string) float64 {
	s := stats.SummarizeValues(vals, "")
	switch name {
	case "min":
		return s.Min
	case "max":
		return s.Max
	case "p90", "p99":
		// Nearest rank, as Summary's, but for any n: a bound on a tail
		// with few samples is the team's choice, and n is shown.
		sorted := append([]float64(nil), vals...)
		sort.Float64s(sorted)
		q := 0.90
		if name == "p99" {
			q = 0.99
		}
		rank := int(math.Ceil(q * float64(len(sorted))))
		return sorted[max(rank, 1)-1]
	default:
		return s.Median
	}
}

func holds(v float64, op string, bound float64) bool {
	switch op {
	case "<=":
		return v <= bound
	case "<":
		return v < bound
	case ">=":
		return v >= bound
	default:
		return v > bound
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// truncate bounds what an error message echoes of its input.
func truncate(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
