package compare

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
)

// Host is one run's column: which run, and the host it ran on.
type Host struct {
	RunID       string `json:"run_id"`
	Label       string `json:"label"` // "A", "B", ...: short enough for a column; a fleet node's name
	CPU         string `json:"cpu"`
	Cores       int    `json:"cores"`
	Kernel      string `json:"kernel"`
	KVM         bool   `json:"kvm_usable"`
	Virtualized string `json:"virtualized"` // Yes, No or Unknown
	Hypervisor  string `json:"hypervisor,omitempty"`
	MemTotalMiB uint64 `json:"mem_total_mib"`
}

// Cell is one figure on one host: its median and interval, or nothing.
type Cell struct {
	Measured bool    `json:"measured"`
	Median   float64 `json:"median,omitempty"`
	Lo       float64 `json:"ci_lo,omitempty"`
	Hi       float64 `json:"ci_hi,omitempty"`
	N        int     `json:"n,omitempty"`
}

// SideRow is one variant's figure across hosts, a Cell per host in order.
type SideRow struct {
	Variant string `json:"variant"`
	Figure  string `json:"figure"`
	Unit    string `json:"unit"`
	Cells   []Cell `json:"cells"`
}

// Side is several runs set side by side.
type Side struct {
	Hosts    []Host    `json:"hosts"`
	Rows     []SideRow `json:"rows"`
	Warnings []string  `json:"warnings,omitempty"`
}

// SideBySide sets every figure of every variant of runs next to each other,
// one column per run, and warns where the runs' shapes differ (settings,
// phases, image, tool) so that a difference is not read as the host's
// alone. Only the figures in keep are rows, all when keep is empty.
func SideBySide(runs []*results.Results, keep ...string) Side {
	var s Side
	maps := make([]map[string]map[string]Figure, len(runs))
	type key struct{ variant, figure string }
	units := map[key]string{}
	for i, r := range runs {
		s.Hosts = append(s.Hosts, hostOf(r, i))
		maps[i] = figureMap(r)
		for v, fs := range maps[i] {
			for name, f := range fs {
				if len(keep) == 0 || contains(keep, name) {
					units[key{v, name}] = f.Unit
				}
			}
		}
	}
	keys := make([]key, 0, len(units))
	for k := range units {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].variant != keys[j].variant {
			return keys[i].variant < keys[j].variant
		}
		return keys[i].figure < keys[j].figure
	})
	for _, k := range keys {
		row := SideRow{Variant: k.variant, Figure: k.figure, Unit: units[k]}
		for i := range runs {
			c := Cell{}
			if f, ok := maps[i][k.variant][k.figure]; ok {
				sum := stats.SummarizeValues(f.Values, f.Unit)
				c = Cell{Measured: true, Median: sum.Median, Lo: sum.Lo, Hi: sum.Hi, N: sum.N}
			}
			row.Cells = append(row.Cells, c)
		}
		s.Rows = append(s.Rows, row)
	}
	s.Warnings = shapeWarnings(runs, s.Hosts)
	return s
}

func hostOf(r *results.Results, i int) Host {
	h := r.Host
	label := columnLabel(i)
	if r.Node != "" {
		label = r.Node // a fleet set's host: its node's name
	}
	return Host{
		RunID: r.RunID, Label: label, CPU: h.CPUModel, Cores: h.UsableCores, Kernel: h.KernelRelease,
		KVM: h.KVM.Usable, Virtualized: h.Virtualization.Virtualized, Hypervisor: h.Virtualization.Hypervisor,
		MemTotalMiB: h.MemTotalBytes >> 20,
	}
}

// columnLabel is A, B, ..., Z, AA, AB, ...
func columnLabel(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// shapeWarnings names what differs between runs beyond the host.
func shapeWarnings(runs []*results.Results, hosts []Host) []string {
	if len(runs) < 2 {
		return nil
	}
	var w []string
	differ := func(what string, of func(*results.Results) string) {
		vals := map[string][]string{}
		var order []string
		for i, r := range runs {
			v := of(r)
			if _, ok := vals[v]; !ok {
				order = append(order, v)
			}
			vals[v] = append(vals[v], hosts[i].Label)
		}
		if len(vals) < 2 {
			return
		}
		var parts []string
		for _, v := range order {
			shown := v
			if shown == "" {
				shown = "none"
			}
			parts = append(parts, fmt.Sprintf("%s in %s", shown, strings.Join(vals[v], ",")))
		}
		w = append(w, fmt.Sprintf("%s differs: %s", what, strings.Join(parts, "; ")))
	}
	differ("tool version", func(r *results.Results) string { return r.Tool.Version })
	differ("phases", func(r *results.Results) string {
		var p []string
		for _, ph := range r.Settings.Phases {
			p = append(p, string(ph))
		}
		return strings.Join(p, ",")
	})
	differ("start-latency sampling", func(r *results.Results) string {
		s := r.Settings
		return fmt.Sprintf("%d-%d samples, ±%.0f%%", s.MinSamples, s.Samples, s.Precision*100)
	})
	differ("sandbox image", func(r *results.Results) string {
		for _, v := range r.Systems {
			if v.Workloads != nil && v.Workloads.Image.Key != "" {
				return v.Workloads.Image.Key
			}
		}
		return ""
	})
	for i, r := range runs {
		if r.Interrupted {
			w = append(w, fmt.Sprintf("run %s (%s) was interrupted: some figures may be missing", r.RunID, hosts[i].Label))
		}
	}
	return w
}
