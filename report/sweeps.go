package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/units"
)

// The concurrency sweeps, drawn per variant: throughput against the number
// of spawns requested at once (the burst ladder, its knee marked), and
// latency from the scheduled arrival against the arrival rate (the open
// loop, its p99 bound marked). Levels and rates that produced nothing are
// drawn as gaps on the axis, never as zeros.

type xyPoint struct {
	X, Y, Title string
	Square      bool
}

type xySeries struct {
	Name, Class, Stroke, Dash string
	Points                    []xyPoint
	Path                      string // polyline points
}

type xyLine struct{ X1, Y1, X2, Y2, Label, LX, LY, Anchor string }

type xyGap struct{ X, Y, Title string }

type xyChart struct {
	ID, Variant, Title, Note string
	W, H, PlotL, PlotR       string
	PlotT, BaseY             string
	XLabel, YLabel           string
	XTicks                   []xTick
	YTicks                   []yTick
	Series                   []xySeries
	Lines                    []xyLine
	Gaps                     []xyGap
}

const (
	xyW, xyH                  = 360.0, 230.0
	xyLeft, xyRight           = 46.0, 10.0
	xyTop, xyBottom           = 22.0, 44.0
	strokeP50, strokeP99, dsh = "#1f3b73", "#1f3b73", "5 3"
)

// log2Scale maps [lo, hi] (positive) onto the plot's width.
func log2Scale(lo, hi float64) func(float64) float64 {
	if hi <= lo {
		hi = lo * 2
	}
	return func(v float64) float64 {
		return xyLeft + (math.Log2(v)-math.Log2(lo))/(math.Log2(hi)-math.Log2(lo))*(xyW-xyLeft-xyRight)
	}
}

// niceMax is a round value at or above v, for a linear axis from 0.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func xyFrame(id, variant, title, xl, yl string) xyChart {
	return xyChart{ID: id, Variant: variant, Title: title, XLabel: xl, YLabel: yl,
		W: px(xyW), H: px(xyH), PlotL: px(xyLeft), PlotR: px(xyW - xyRight), PlotT: px(xyTop), BaseY: px(xyH - xyBottom)}
}

func pathOf(pts []xyPoint) string {
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.X + "," + p.Y)
	}
	return b.String()
}

// throughputChart draws one variant's burst ladder: spawns per second
// against spawns requested at once, on a log-2 axis.
func throughputChart(variant string, sw *results.BurstSweep) *xyChart {
	if sw == nil || len(sw.Levels) == 0 {
		return nil
	}
	lo, hi, top := math.Inf(1), 0.0, 0.0
	for _, l := range sw.Levels {
		lo, hi = math.Min(lo, float64(l.K)), math.Max(hi, float64(l.K))
		top = math.Max(top, l.SpawnsPerSecond)
	}
	x := log2Scale(lo, hi)
	ymax := niceMax(top * 1.1)
	plotH := xyH - xyTop - xyBottom
	y := func(v float64) float64 { return xyTop + plotH*(1-v/ymax) }
	c := xyFrame("burst-"+strings.ReplaceAll(variant, "/", "-"), variant,
		fmt.Sprintf("%s: spawns per second against spawns requested at once", variant),
		"spawns requested at once (log scale)", "spawns/s, until "+sw.Until)
	for _, l := range sw.Levels {
		c.XTicks = append(c.XTicks, xTick{X: px(x(float64(l.K))), Label: fmt.Sprint(l.K)})
	}
	for _, t := range []float64{0, 0.25, 0.5, 0.75, 1} {
		c.YTicks = append(c.YTicks, yTick{Y: px(y(t * ymax)), Label: fmt.Sprintf("%g", t*ymax)})
	}
	s := xySeries{Name: "spawns/s", Class: "line-throughput", Stroke: strokeP50}
	for _, l := range sw.Levels {
		if !l.Measured() {
			cause := "every spawn failed"
			if len(l.Failures) > 0 {
				cause = l.Failures[0].Cause
			}
			c.Gaps = append(c.Gaps, xyGap{X: px(x(float64(l.K))), Y: px(y(0) - 4), Title: fmt.Sprintf("k=%d: no figure, %d of %d failed: %s", l.K, l.Failed, l.K, cause)})
			continue
		}
		s.Points = append(s.Points, xyPoint{X: px(x(float64(l.K))), Y: px(y(l.SpawnsPerSecond)),
			Title: fmt.Sprintf("k=%d: %.1f spawns/s, %d/%d ok, p50 %s, p99 %s, all done in %s", l.K, l.SpawnsPerSecond, l.Started, l.K, units.Millis(l.P50MS), units.Millis(l.P99MS), units.Millis(float64(l.AllNS)/1e6))})
	}
	s.Path = pathOf(s.Points)
	c.Series = []xySeries{s}
	if sw.Knee > 0 {
		kx := px(x(float64(sw.Knee)))
		c.Lines = append(c.Lines, xyLine{X1: kx, Y1: px(xyTop), X2: kx, Y2: px(y(0)), Label: fmt.Sprintf("knee k=%d", sw.Knee), LX: px(x(float64(sw.Knee)) + 4), LY: px(xyTop + 10), Anchor: "start"})
		c.Note = fmt.Sprintf("knee at k=%d", sw.Knee)
	} else {
		c.Note = "knee " + sw.KneeNote
	}
	if sw.StoppedBy != "" {
		c.Note += "; stopped: " + sw.StoppedBy
	}
	return &c
}

// arrivalChart draws one variant's arrival ladder: p50 and p99 from the
// scheduled arrival against the rate offered, both axes log scale, and
// the bound a held rate's p99 stays under.
func arrivalChart(variant string, a *results.ArrivalSweep) *xyChart {
	if a == nil || len(a.Rates) == 0 {
		return nil
	}
	bound := float64(a.BoundNS) / 1e6
	rlo, rhi := math.Inf(1), 0.0
	mlo, mhi := bound, bound
	for _, r := range a.Rates {
		rlo, rhi = math.Min(rlo, r.Rate), math.Max(rhi, r.Rate)
		if r.Done > 0 || r.Unfinished > 0 {
			mlo, mhi = math.Min(mlo, r.P50MS), math.Max(mhi, r.P99MS)
		}
	}
	x := log2Scale(rlo, rhi)
	ticks, dlo, dhi := logTicks(math.Max(mlo*0.9, 0.01), mhi*1.1)
	plotH := xyH - xyTop - xyBottom
	y := func(v float64) float64 {
		v = math.Max(dlo, math.Min(dhi, v))
		return xyTop + plotH*(1-(math.Log(v)-math.Log(dlo))/(math.Log(dhi)-math.Log(dlo)))
	}
	c := xyFrame("arrivals-"+strings.ReplaceAll(variant, "/", "-"), variant,
		fmt.Sprintf("%s: latency from the scheduled arrival against the arrival rate", variant),
		"Poisson arrivals per second (log scale)", "ms until "+a.Until+" (log)")
	for _, r := range a.Rates {
		c.XTicks = append(c.XTicks, xTick{X: px(x(r.Rate)), Label: fmt.Sprintf("%g", r.Rate)})
	}
	for _, t := range ticks {
		c.YTicks = append(c.YTicks, yTick{Y: px(y(t)), Label: tickMS(t)})
	}
	p50 := xySeries{Name: "p50", Class: "line-p50", Stroke: strokeP50}
	p99 := xySeries{Name: "p99", Class: "line-p99", Stroke: strokeP99, Dash: dsh}
	for _, r := range a.Rates {
		if r.Done == 0 && r.Unfinished == 0 {
			c.Gaps = append(c.Gaps, xyGap{X: px(x(r.Rate)), Y: px(y(dlo) - 4), Title: fmt.Sprintf("%g/s: no arrival done: %s", r.Rate, r.Why)})
			continue
		}
		held := "held"
		if !r.Held {
			held = "not held: " + r.Why
		}
		lower := ""
		if r.P99LowerBound {
			lower = "at least "
		}
		title := fmt.Sprintf("%g/s offered (%.1f/s drawn), %.1f/s achieved, %d/%d done; p50 %s, p99 %s%s; %s", r.Rate, r.Offered, r.Achieved, r.Done, r.Scheduled, units.Millis(r.P50MS), lower, units.Millis(r.P99MS), held)
		p50.Points = append(p50.Points, xyPoint{X: px(x(r.Rate)), Y: px(y(r.P50MS)), Title: title})
		p99.Points = append(p99.Points, xyPoint{X: px(x(r.Rate)), Y: px(y(r.P99MS)), Title: title, Square: true})
	}
	p50.Path, p99.Path = pathOf(p50.Points), pathOf(p99.Points)
	c.Series = []xySeries{p50, p99}
	by := px(y(bound))
	c.Lines = append(c.Lines, xyLine{X1: px(xyLeft), Y1: by, X2: px(xyW - xyRight), Y2: by, Label: "p99 bound " + time.Duration(a.BoundNS).String(), LX: px(xyW - xyRight), LY: px(y(bound) - 4), Anchor: "end"})
	if a.HighestHeld > 0 {
		c.Note = fmt.Sprintf("highest rate held %g/s", a.HighestHeld)
	} else {
		c.Note = "no rate held: " + a.HeldNote
	}
	if a.StoppedBy != "" {
		c.Note += "; stopped: " + a.StoppedBy
	}
	return &c
}

// sweepCharts are the two charts of every variant that has either sweep.
func sweepCharts(res *results.Results) []xyChart {
	var out []xyChart
	for i := range res.Systems {
		v := &res.Systems[i]
		if !v.Fingerprint.Available {
			continue
		}
		if c := throughputChart(v.Variant, v.BurstOf()); c != nil {
			out = append(out, *c)
		}
		if c := arrivalChart(v.Variant, v.Arrivals); c != nil {
			out = append(out, *c)
		}
	}
	return out
}

// burstFigure is the summary table's cell for a variant's burst sweep.
func burstFigure(sw *results.BurstSweep) string {
	if sw == nil {
		return "–"
	}
	if len(sw.Levels) == 1 {
		l := sw.Levels[0]
		if !l.Measured() {
			return fmt.Sprintf("0/%d: every spawn failed", l.K)
		}
		return fmt.Sprintf("%d/%d, %.1f/s", l.Started, l.K, l.SpawnsPerSecond)
	}
	best, bestK := 0.0, 0
	for _, l := range sw.Levels {
		if l.Measured() && l.SpawnsPerSecond > best {
			best, bestK = l.SpawnsPerSecond, l.K
		}
	}
	if bestK == 0 {
		return "every level failed"
	}
	knee := "knee not reached"
	if sw.Knee > 0 {
		knee = fmt.Sprintf("knee k=%d", sw.Knee)
	}
	return fmt.Sprintf("%.1f/s at k=%d, %s", best, bestK, knee)
}

// arrivalFigure is the summary table's cell for a variant's arrivals.
func arrivalFigure(a *results.ArrivalSweep) string {
	if a == nil {
		return "–"
	}
	if a.HighestHeld > 0 {
		return fmt.Sprintf("%g/s held (p99 < %s)", a.HighestHeld, time.Duration(a.BoundNS))
	}
	return "none held (p99 < " + time.Duration(a.BoundNS).String() + ")"
}

// harnessFigure is the harness's own cost during a variant's largest
// burst level (else its highest arrival rate).
func harnessFigure(v *results.VariantResult) string {
	var c *results.HarnessCost
	if sw := v.BurstSweep; sw != nil && sw.Harness != nil {
		c = sw.Harness
	} else if v.Arrivals != nil {
		c = v.Arrivals.Harness
	}
	if c == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f%% of a core, %.0f MiB", c.CPUShare*100, float64(c.RSSBytes)/(1<<20))
}

func burstSetting(s results.Settings) string {
	levels := s.BurstLevels()
	if len(levels) == 0 {
		return "skipped"
	}
	if s.BurstBudget == 0 && len(s.BurstLadder) == 0 {
		// A document from before the ladder: one burst of Burst.
		return fmt.Sprintf("%d spawns at once (a single burst, before the ladder)", s.Burst)
	}
	var ks []string
	for _, k := range levels {
		ks = append(ks, fmt.Sprint(k))
	}
	until := s.SweepUntil
	if until == "" {
		until = results.UntilReady
	}
	out := fmt.Sprintf("ladder %s spawns at once, until %s", strings.Join(ks, ", "), until)
	if s.BurstBudget > 0 {
		out += fmt.Sprintf(", %s per variant", s.BurstBudget)
	}
	return out
}

func arrivalSetting(s results.Settings) string {
	a := s.Arrivals
	if len(a.Rates) == 0 {
		return "skipped"
	}
	var rs []string
	for _, r := range a.Rates {
		rs = append(rs, fmt.Sprintf("%g", r))
	}
	return fmt.Sprintf("Poisson at %s per second, each held %s; held while p99 from the scheduled arrival < %s; %s per variant",
		strings.Join(rs, ", "), a.Hold, a.P99Bound, a.Budget)
}
