package rubric

import (
	"fmt"
	"strings"

	"github.com/agentic-eval/agentic-eval/vms"
)

// PublishedScores maps the figures a system's makers published
// (vms.PublishedFor) through the same curves as measured figures: a start
// figure through LatencyScore, a memory figure through DensityScore. Each
// score's basis cites its source and carries the figure's caveat, so that
// a published score is never read as a measured one. Axes without a
// published figure are absent; the first figure for an axis counts.
func PublishedScores(sys vms.System) []AxisScore {
	var out []AxisScore
	seen := map[vms.Axis]bool{}
	for _, p := range vms.PublishedFor(sys) {
		if seen[p.Axis] {
			continue
		}
		var score float64
		var curve string
		switch {
		case p.Axis == vms.StartLatency && p.Unit == "ms":
			score = LatencyScore(p.Value)
			curve = fmt.Sprintf("1.0 at <= %.0f ms, 0.0 at %.0f s, log scale", LatencyBestMS, LatencyWorstMS/1000)
		case p.Axis == vms.Density && p.Unit == "MiB":
			score = DensityScore(p.Value)
			curve = fmt.Sprintf("1.0 at <= %.0f MiB, 0.0 at %.0f MiB, log scale", DensityBestMiB, DensityWorstMiB)
		default:
			continue // no curve for this kind of figure
		}
		seen[p.Axis] = true
		out = append(out, AxisScore{
			Axis: p.Axis, Score: round(clamp(score, 0, 1)), Provenance: Published,
			Basis: PublishedBasis(p) + "; " + curve,
		})
	}
	return out
}

// PublishedBasis is one line citing a published figure: what, how much,
// under what conditions, where, and its caveat.
func PublishedBasis(p vms.Published) string {
	value := fmt.Sprintf("%.4g %s", p.Value, p.Unit)
	if p.Bound != "" {
		value = p.Bound + " " + value
	}
	src := strings.TrimSpace(p.Source.Project + " " + p.Source.Document)
	if p.Source.Version != "" {
		src += ", " + p.Source.Version
	}
	return fmt.Sprintf("published: %s %s (%s; %s); %s", p.Metric, value, p.Conditions, src, p.Caveat)
}
