package cli

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/moby/sys/atomicwriter"
	"github.com/spf13/cobra"

	"github.com/agentic-eval/agentic-eval/app"
	"github.com/agentic-eval/agentic-eval/report"
	"github.com/agentic-eval/agentic-eval/results"
)

func init() { registerVMS((*App).reportCmd) }

// reportWritten is `vms report --format json`.
type reportWritten struct {
	Out      string `json:"out"`
	Measured bool   `json:"measured"`
	RunID    string `json:"run_id,omitempty"`
}

func (a *App) reportCmd() *cobra.Command {
	var (
		wf    weightFlags
		files []string
		out   string
	)
	cmd := &cobra.Command{
		Use:   "report --out FILE.html [--results FILE] [--weights AXIS=W,... | --preset NAME]",
		Short: "Write the evaluation as one self-contained HTML page with charts",
		Long: `Write one self-contained HTML page (inline CSS and SVG charts; no script, font or
network access) for people: the ranked evaluation with each score's provenance,
curated against effective scores per system, and with --results a saved run's
start-latency and per-instance memory charts per variant, the disagreements with both
evidences, the systems not measured and why, and the host facts and run settings.
Without --results the page shows the curated catalog only, and says so.`,
		Example: `  agentic-eval vms report --out catalog.html
  agentic-eval vms report --results agentic-eval-results-RUN.json --preset untrusted-code --out report.html`,
		Args: noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("--out FILE.html is required: where to write the page")
			}
			w, err := wf.resolve(cmd)
			if err != nil {
				return err
			}
			var res *results.Results
			var others []*results.Results
			if len(files) > maxFiles {
				return usagef("--results given %d times: at most %d runs side by side", len(files), maxFiles)
			}
			runs, _, err := a.readRunFiles(files)
			if err != nil {
				return err
			}
			for i, r := range runs {
				if i == 0 {
					res = r
				} else {
					others = append(others, r)
				}
			}
			first := ""
			if len(files) > 0 {
				first = files[0]
			}
			var page bytes.Buffer
			if err := report.Render(&page, report.Options{
				Results: res, Others: others, ResultsPath: first, Weights: w.Weights, Weighting: w.Label(),
				ToolVersion: results.ToolInfo().Version, Generated: time.Now(), Preferred: app.Preferred(),
			}); err != nil {
				return err
			}
			if err := writeFileAtomic(out, page.Bytes()); err != nil {
				return err
			}
			done := reportWritten{Out: out, Measured: res != nil}
			what := "curated catalog only: no --results given"
			if res != nil {
				done.RunID = res.RunID
				what = "run " + res.RunID
			}
			return a.emit(cmd, Output{
				JSON: done,
				Text: func(o io.Writer) error {
					return writeString(o, fmt.Sprintf("report written to %s (%s, %s)\n", out, what, w.Label()))
				},
			})
		},
	}
	wf.add(cmd)
	cmd.Flags().StringArrayVar(&files, "results", nil, "a results `FILE` written by `vms measure`; without it the page is the curated catalog only; given again, more runs (hosts) set side by side with the first")
	cmd.Flags().StringVar(&out, "out", "", "write the page to `FILE.html` (required)")
	return cmd
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so a failed write leaves no half page behind.
func writeFileAtomic(path string, data []byte) error {
	if err := atomicwriter.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
