package rubric

import (
	"fmt"
	"strings"

	"github.com/agentic-eval/agentic-eval/vms"
)

// PublishedScores is PublishedScoresWith under the current rubric.
func PublishedScores(sys vms.System) []AxisScore { return PublishedScoresWith(sys, Options{}) }

// PublishedScoresWith maps the figures a system's makers published
// (vms.PublishedFor) through the same curves as measured figures: a start
// figure through LatencyScore, a memory figure through DensityScore. Each
// score's basis cites its source and carries the figure's caveat, so that
// a published score is never read as a measured one. Axes without a
// published figure are absent; the first figure for an axis counts.
//
// Bounds are bounds: from rubric/3 on, a figure of a different quantity
// that is only part of agentic-eval's (vms.Published.BoundOf) is scored
// as the interval its bound allows, never as a point. Its high end (Hi) is
// the figure's own score: agentic-eval's quantity is at least the part the
// figure measures. Its low end (Lo) is the score of the figure plus the
// widest gap between the two quantities (vms.Published.MaxGap). Score is
// the middle of the interval, which orders rows but is no finding: ranks
// whose intervals overlap are ties. rubric/1 and rubric/2 scored the
// figure as a point, and still do.
func PublishedScoresWith(sys vms.System, o Options) []AxisScore {
	if CheckVersion(o.Version) != nil {
		o.Version = Version
	}
	var out []AxisScore
	seen := map[vms.Axis]bool{}
	for _, p := range vms.PublishedFor(sys) {
		if seen[p.Axis] {
			continue
		}
		var curve func(float64) float64
		var text string
		switch {
		case p.Axis == vms.StartLatency && p.Unit == "ms":
			curve = LatencyScore
			text = fmt.Sprintf("1.0 at <= %.0f ms, 0.0 at %.0f s, log scale", LatencyBestMS, LatencyWorstMS/1000)
		case p.Axis == vms.Density && p.Unit == "MiB":
			curve = DensityScore
			text = fmt.Sprintf("1.0 at <= %.0f MiB, 0.0 at %.0f MiB, log scale", DensityBestMiB, DensityWorstMiB)
		default:
			continue // no curve for this kind of figure
		}
		seen[p.Axis] = true
		a := AxisScore{Axis: p.Axis, Score: round(clamp(curve(p.Value), 0, 1)), Provenance: Published, Basis: PublishedBasis(p) + "; " + text}
		if p.IsBound() && p.MaxGap > 0 && boundsAsIntervals(o.Version) {
			hi := a.Score
			lo := round(clamp(curve(p.Value+p.MaxGap), 0, 1))
			a.Lo, a.Hi, a.Bound = &lo, &hi, true
			a.Score = round((lo + hi) / 2)
			a.Basis = PublishedBasis(p) + "; " + BoundText(p, lo, hi) + "; " + text
		}
		out = append(out, a)
	}
	return out
}

// BoundText says how a bound was scored: the quantity it bounds, the
// interval, and why the gap is no wider.
func BoundText(p vms.Published, lo, hi float64) string {
	return fmt.Sprintf("a bound, not a value: it measures the %s, a part of what agentic-eval measures, so it scores as the interval [%.2f, %.2f], from the figure's own score down to the figure plus at most %.4g %s (%s)",
		p.BoundOf, lo, hi, p.MaxGap, p.Unit, p.GapBasis)
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
