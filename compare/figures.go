package compare

import (
	"fmt"
	"sort"

	"github.com/agentic-eval/agentic-eval/results"
)

// Figure is one sampled quantity of one variant, under a stable name.
type Figure struct {
	Name string
	Unit string // "ms" or "MiB"
	// Values are the raw samples, in Unit.
	Values []float64
}

const mib = 1 << 20

func fromNS(ns []int64) []float64 {
	out := make([]float64, len(ns))
	for i, v := range ns {
		out[i] = float64(v) / 1e6
	}
	return out
}

// sizeName is a file size as it appears in a figure's name: 4KiB, 1MiB.
func sizeName(n int64) string {
	switch {
	case n >= mib && n%mib == 0:
		return fmt.Sprintf("%dMiB", n/mib)
	case n >= 1024 && n%1024 == 0:
		return fmt.Sprintf("%dKiB", n/1024)
	default:
		return fmt.Sprintf("%dB", n)
	}
}

// Figures lists every sampled figure of a variant, sorted by name. Every
// figure is one where lower is better (a duration, a memory cost).
func Figures(v results.VariantResult) []Figure {
	var out []Figure
	add := func(name, unit string, vals []float64) {
		if len(vals) > 0 {
			out = append(out, Figure{Name: name, Unit: unit, Values: vals})
		}
	}
	if l := v.StartLatency; l != nil {
		add("start-latency", "ms", fromNS(l.SamplesNS))
		add("teardown", "ms", fromNS(l.TeardownNS))
	}
	if b := v.BurstOf(); b != nil {
		for _, l := range b.Levels {
			add(fmt.Sprintf("burst/k=%d/per-spawn", l.K), "ms", fromNS(l.SamplesNS))
		}
	}
	if a := v.Arrivals; a != nil {
		for _, r := range a.Rates {
			add(fmt.Sprintf("arrivals/%g-per-s/latency", r.Rate), "ms", fromNS(r.SamplesNS))
		}
	}
	if d := v.Density; d != nil {
		vals := make([]float64, len(d.PerInstanceBytes))
		for i, b := range d.PerInstanceBytes {
			vals[i] = float64(b) / mib
		}
		add("density/per-instance", "MiB", vals)
	}
	if s := v.Snapshot; s != nil {
		add("snapshot/restore", "ms", fromNS(s.RestoreNS))
	}
	if w := v.Workloads; w != nil {
		for _, t := range w.TTI {
			add("tti/"+t.Workload+"/ready", "ms", fromNS(t.ReadyNS))
			add("tti/"+t.Workload+"/first-result", "ms", fromNS(t.FirstNS))
			add("tti/"+t.Workload+"/second-result", "ms", fromNS(t.SecondNS))
		}
		for _, e := range w.Warm {
			add("warm/"+e.Workload+"/"+e.ExecPath, "ms", fromNS(e.SamplesNS))
		}
		for _, f := range w.Files {
			add("files/"+f.Direction+"/"+sizeName(f.Bytes)+"/"+f.ExecPath, "ms", fromNS(f.SamplesNS))
		}
		if p := w.Primed; p != nil {
			add("primed/restore", "ms", fromNS(p.RestoreNS))
			add("primed/answer", "ms", fromNS(p.AnswerNS))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// figureMap indexes a run's figures by variant and name.
func figureMap(res *results.Results) map[string]map[string]Figure {
	m := map[string]map[string]Figure{}
	for _, v := range res.Systems {
		if !v.Fingerprint.Available {
			continue
		}
		fs := map[string]Figure{}
		for _, f := range Figures(v) {
			fs[f.Name] = f
		}
		m[v.Variant] = fs
	}
	return m
}
