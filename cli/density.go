package cli

import (
	"fmt"

	"github.com/agentic-eval/agentic-eval/results"
)

// densityCell is the MiB/INSTANCE figure of a density phase that started
// sandboxes: the median per-instance memory over the sandboxes sampled, or,
// when no sample succeeded, "-" with the count, never a 0.00 that reads as
// free.
func densityCell(d *results.Density) string {
	if d.PerInstanceMiB.N == 0 {
		return fmt.Sprintf("- (0/%d sampled)", d.Started)
	}
	return fmt.Sprintf("%.2f (n=%d/%d)", d.PerInstanceMiB.Median, d.Started, d.Requested)
}
