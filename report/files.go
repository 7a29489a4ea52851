package report

import (
	"fmt"
	"path"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/units"
)

// fileView is one size moved through one exec path of one variant: its
// put and its get.
type fileView struct {
	Variant, Size, ExecPath, Dir     string
	PutP50, PutMBps, GetP50, GetMBps string
	Verified, CrossChecked           string
}

// copyPathView says, per variant, where the runtime's own copy path put
// its files and why there, or why it has none.
type copyPathView struct {
	Variant, Dir, Why string
}

// fileRows are the files of every variant that moved some, the probe's
// beside the runtime copy path's, and each variant's copy path.
func fileRows(res *results.Results) ([]fileView, []copyPathView) {
	var files []fileView
	var paths []copyPathView
	for _, v := range res.Systems {
		if v.Workloads == nil {
			continue
		}
		fs := v.Workloads.Files
		noted := false
		for i := 0; i+1 < len(fs); i += 2 {
			put, get := fs[i], fs[i+1]
			if put.ExecPath == results.ExecPathRuntime && !noted {
				noted = true
				switch {
				case put.Cap != "":
					paths = append(paths, copyPathView{v.Variant, "none", put.Cap})
				case put.PathWhy != "":
					paths = append(paths, copyPathView{v.Variant, path.Dir(put.Path), put.PathWhy})
				default:
					paths = append(paths, copyPathView{v.Variant, path.Dir(put.Path), "the work dir: the runtime's copy reaches it"})
				}
			}
			if put.Cap != "" {
				continue
			}
			f := fileView{
				Variant: v.Variant, Size: sizeLabel(put.Bytes), ExecPath: put.ExecPath, Dir: "–",
				PutP50: medianOr(put.Summary), PutMBps: mbpsOr(put.MBps), GetP50: medianOr(get.Summary), GetMBps: mbpsOr(get.MBps),
				Verified:     fmt.Sprintf("%d/%d", put.Verified+get.Verified, put.Verified+get.Verified+put.Failed+get.Failed),
				CrossChecked: "–",
			}
			if put.Path != "" {
				f.Dir = path.Dir(put.Path)
			}
			if put.ExecPath == results.ExecPathRuntime {
				f.CrossChecked = fmt.Sprintf("%d/%d", put.CrossVerified+get.CrossVerified, put.Verified+put.Failed+get.Verified+get.Failed)
			}
			files = append(files, f)
		}
	}
	return files, paths
}

func medianOr(s stats.Summary) string {
	if s.N == 0 {
		return "–"
	}
	return units.Millis(s.Median)
}

func mbpsOr(v float64) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f", v)
}

func sizeLabel(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
