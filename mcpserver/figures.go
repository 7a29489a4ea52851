package mcpserver

import (
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
)

// figuresOf renders the measured figures of res's variants that keep
// accepts (nil: every variant), in the results' order. Raw samples stay
// in the results file: an answer carries the summaries only.
func figuresOf(res *results.Results, keep func(results.VariantResult) bool) []VariantFigures {
	if res == nil {
		return nil
	}
	var out []VariantFigures
	for _, v := range res.Systems {
		if keep != nil && !keep(v) {
			continue
		}
		f := VariantFigures{Variant: v.Variant}
		if l := v.StartLatency; l != nil {
			f.StartLatency = &StartFigure{
				ExecPath: results.ExecPathProbe,
				Measures: "request to the probe's ready line, in a rootfs holding only the probe",
				Figure:   figure(l.Summary),
			}
		}
		if w := v.Workloads; w != nil {
			f.Workloads = workloadFigures(w)
		}
		f.Fleet = fleetFigures(v)
		if f.StartLatency == nil && f.Workloads == nil && f.Fleet == nil {
			continue
		}
		out = append(out, f)
	}
	return out
}

func figure(s stats.Summary) Figure {
	f := Figure{N: s.N, MedianMS: round3(s.Median), CILoMS: round3(s.Lo), CIHiMS: round3(s.Hi)}
	if s.P99 != nil {
		p := round3(*s.P99)
		f.P99MS = &p
	}
	return f
}

func workloadFigures(w *results.WorkloadResult) *WorkloadFigures {
	out := &WorkloadFigures{Version: w.Version, ImageKey: w.Image.Key, ImageBytes: w.Image.TarBytes, NotMeasured: w.Cause}
	for _, t := range w.TTI {
		out.TimeToInteract = append(out.TimeToInteract, TTIFigure{
			Workload: t.Workload, ExecPath: t.ExecPath,
			Returned: figure(t.Returned), Ready: figure(t.Ready), FirstResult: figure(t.FirstResult), SecondResult: figure(t.SecondResult),
			FirstPenalty: round3(t.FirstPenalty), Failed: t.Failed,
		})
	}
	for _, e := range w.Warm {
		out.WarmExec = append(out.WarmExec, WarmExecFigure{Workload: e.Workload, ExecPath: e.ExecPath, Runs: figure(e.Summary), Failed: e.Failed})
	}
	for _, t := range w.Files {
		ff := FileFigure{
			Direction: t.Direction, Bytes: t.Bytes, ExecPath: t.ExecPath, Path: t.Path, PathWhy: t.PathWhy,
			MBps: round3(t.MBps), Verified: t.Verified, CrossVerified: t.CrossVerified, Failed: t.Failed, Cap: t.Cap,
		}
		if t.Cap == "" {
			l := figure(t.Summary)
			ff.Latency = &l
		}
		out.Files = append(out.Files, ff)
	}
	if p := w.Primed; p != nil {
		out.PrimedFork = &PrimedForkFigure{
			NotMeasured: p.Cause, PrimeMS: round3(float64(p.PrimeNS) / 1e6), SnapshotMS: round3(float64(p.SnapshotNS) / 1e6),
			SnapshotBytes: p.SnapshotBytes, Restore: figure(p.Restore), Verified: p.Verified, Failed: p.Failed,
		}
	}
	return out
}
