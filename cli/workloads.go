package cli

import (
	"fmt"
	"path"
	"strings"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/units"
)

// workloadTables are what an agent waits for, per variant: time to
// interactive and warm exec per workload, files moved, and the primed
// interpreter forked. nil when the run measured no workload.
func workloadTables(res *results.Results) []*Table {
	tti := NewTable("VARIANT", "WORKLOAD", "READY p50", "FIRST RESULT p50 [95% CI]", "SECOND p50", "FIRST/SECOND", "WARM (probe) p50", "WARM (runtime exec) p50", "FAILED")
	tti.AlignRight(2, 3, 4, 5, 6, 7, 8)
	files := NewTable("VARIANT", "FILE", "PATH", "PUT p50", "PUT MB/s", "GET p50", "GET MB/s", "VERIFIED", "CROSS-CHECKED")
	files.AlignRight(1, 3, 4, 5, 6, 7, 8)
	copyPaths := NewTable("VARIANT", "RUNTIME COPY PATH", "WHY THERE")
	primed := NewTable("VARIANT", "PRIMED PYTHON (numpy) FORKED", "PRIME", "SNAPSHOT", "RESTORE p50", "ANSWER p50", "VERIFIED")
	primed.AlignRight(2, 3, 4, 5, 6)
	any := false
	for _, v := range res.Systems {
		w := v.Workloads
		if w == nil {
			continue
		}
		any = true
		if w.Cause != "" {
			tti.AddRow(v.Variant, "-", "not measured: "+w.Cause, "", "", "", "", "", "")
			continue
		}
		warm := map[string]map[string]results.WarmExec{}
		for _, e := range w.Warm {
			if warm[e.Workload] == nil {
				warm[e.Workload] = map[string]results.WarmExec{}
			}
			warm[e.Workload][e.ExecPath] = e
		}
		for _, t := range w.TTI {
			first := "-"
			if t.FirstResult.N > 0 {
				first = fmt.Sprintf("%s [%s, %s]", units.Millis(t.FirstResult.Median), units.Millis(t.FirstResult.Lo), units.Millis(t.FirstResult.Hi))
			}
			tti.AddRow(v.Variant, t.Workload, msOr(t.Ready), first, msOr(t.SecondResult), ratio(t.FirstPenalty),
				warmCell(warm[t.Workload][results.ExecPathProbe]), warmCell(warm[t.Workload][results.ExecPathRuntime]), fmt.Sprint(t.Failed))
		}
		fileRows(files, copyPaths, v.Variant, w.Files)
		if p := w.Primed; p != nil {
			if p.Cause != "" {
				primed.AddRow(v.Variant, primedCause(p.Cause), "", "", "", "", "")
			} else {
				var answer []float64
				for _, ns := range p.AnswerNS {
					answer = append(answer, float64(ns)/1e6)
				}
				primed.AddRow(v.Variant, fmt.Sprintf("%.1f MB snapshot", float64(p.SnapshotBytes)/1e6), units.Millis(float64(p.PrimeNS)/1e6), units.Millis(float64(p.SnapshotNS)/1e6),
					msOr(p.Restore), msOr(stats.SummarizeValues(answer, "ms")), fmt.Sprintf("%d/%d", p.Verified, p.Verified+p.Failed))
			}
		}
	}
	if !any {
		return nil
	}
	out := []*Table{tti}
	if len(files.Rows) > 0 {
		out = append(out, files)
	}
	if len(copyPaths.Rows) > 0 {
		out = append(out, copyPaths)
	}
	if len(primed.Rows) > 0 {
		out = append(out, primed)
	}
	return out
}

// fileRows adds a variant's files, a put and its get per row, each with
// its exec path: the probe's rows, then the runtime copy path's; a copy
// path's place and reason, or why there is none, go to copyPaths, once
// per variant.
func fileRows(files, copyPaths *Table, variant string, fs []results.FileTransfer) {
	noted := false
	for i := 0; i+1 < len(fs); i += 2 {
		put, get := fs[i], fs[i+1]
		if put.ExecPath == results.ExecPathRuntime && !noted {
			noted = true
			switch {
			case put.Cap != "":
				copyPaths.AddRow(variant, "none", cutText(put.Cap, 110))
			case put.PathWhy != "":
				copyPaths.AddRow(variant, path.Dir(put.Path), cutText(put.PathWhy, 400))
			default:
				copyPaths.AddRow(variant, path.Dir(put.Path), "the work dir: the runtime's copy reaches it")
			}
		}
		if put.Cap != "" {
			continue
		}
		where := put.ExecPath
		if put.Path != "" {
			where += ": " + path.Dir(put.Path)
		}
		crossed := "-"
		if put.ExecPath == results.ExecPathRuntime {
			crossed = fmt.Sprintf("%d/%d", put.CrossVerified+get.CrossVerified, put.Verified+put.Failed+get.Verified+get.Failed)
		}
		files.AddRow(variant, bytesLabel(put.Bytes), where, msOr(put.Summary), mbps(put.MBps), msOr(get.Summary), mbps(get.MBps),
			fmt.Sprintf("%d/%d", put.Verified+get.Verified, put.Verified+get.Verified+put.Failed+get.Failed), crossed)
	}
}

func msOr(s stats.Summary) string {
	if s.N == 0 {
		return "-"
	}
	return units.Millis(s.Median)
}

func warmCell(e results.WarmExec) string {
	if e.Summary.N == 0 {
		if e.Failed > 0 {
			return fmt.Sprintf("failed %d", e.Failed)
		}
		return "-"
	}
	return units.Millis(e.Summary.Median)
}

func ratio(r float64) string {
	if r == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", r)
}

func mbps(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

func bytesLabel(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

func cutText(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// primedCause says why a primed fork has no figure: a snapshot the runtime
// cannot take here is a finding, anything else was not measured.
func primedCause(cause string) string {
	if strings.HasPrefix(cause, "snapshot failed on this host") {
		return "fails here: " + cutText(strings.TrimPrefix(cause, "snapshot failed on this host: "), 110)
	}
	return "not measured: " + cutText(cause, 110)
}
