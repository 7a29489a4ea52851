package report

import (
	"fmt"
	"math"

	"github.com/agentic-eval/agentic-eval/evaluate"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/rubric"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/units"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Chart geometry is computed here and handed to the template as formatted
// strings, so the template only places what Go measured.

func px(v float64) string { return fmt.Sprintf("%.1f", v) }

// Fills. Series differ in lightness and texture, not only in hue, so they
// stay apart in greyscale: light solid grey against dark hatched blue.
const (
	fillCurated   = "#d4d4d4"
	fillEffective = "url(#pat-effective)"
	fillMedian    = "#1f3b73"
	fillLatency   = "#9fb2d6"
	fillMemAvail  = "url(#pat-memavail)"
)

type yTick struct{ Y, Label string }

type vbar struct {
	X, Y, W, H, Fill, Stroke, Class string
	Value, LX, LY                   string
	Title                           string
}

type group struct {
	Label, Mark, X, LabelY, MarkY string
	Bars                          []vbar
}

type groupedChart struct {
	ID, System, Note, Title string
	Rank                    int
	W, H, PlotL, PlotR      string
	BaseY                   string
	Ticks                   []yTick
	Groups                  []group
}

const (
	gW, gH              = 360.0, 224.0
	gLeft, gRight, gTop = 34.0, 6.0, 20.0
	gBottom             = 42.0
	gBar, gGap          = 22.0, 3.0
)

var axisLabel = [vms.NumAxes]string{"start", "density", "isolation", "snapshot", "control"}

// systemChart draws one system's curated and effective scores on the five
// axes as grouped vertical bars, every bar labelled with its value.
//
// Without measurements (measured false) effective equals curated, so only
// the curated bar is drawn, centred in its group.
func systemChart(rank int, r evaluate.Row, measured bool) groupedChart {
	plotH := gH - gTop - gBottom
	y := func(v float64) float64 { return gTop + plotH*(1-math.Max(0, math.Min(1, v))) }
	c := groupedChart{
		ID: "sys-" + r.System.Name(), System: r.System.Name(), Rank: rank,
		W: px(gW), H: px(gH), PlotL: px(gLeft), PlotR: px(gW - gRight), BaseY: px(y(0)),
	}
	switch {
	case !measured:
		c.Note = "curated scores"
	case r.Primary == "":
		c.Note = "curated only: not measured here"
	default:
		c.Note = "effective scores from " + r.Primary
	}
	c.Title = fmt.Sprintf("%s: curated and effective scores on the five axes, 0 to 1", r.System.Name())
	if !measured {
		c.Title = fmt.Sprintf("%s: curated scores on the five axes, 0 to 1", r.System.Name())
	}
	for _, t := range []float64{0, 0.25, 0.5, 0.75, 1} {
		c.Ticks = append(c.Ticks, yTick{Y: px(y(t)), Label: fmt.Sprintf("%.2f", t)})
	}
	gw := (gW - gLeft - gRight) / vms.NumAxes
	for i, a := range r.Axes {
		gx := gLeft + gw*float64(i)
		series := []struct {
			v           float64
			fill, class string
			what        string
		}{
			{a.Curated, fillCurated, "bar-curated", "curated"},
			{a.Score, fillEffective, "bar-effective", "effective, " + string(a.Provenance)},
		}
		if !measured {
			series = series[:1]
		}
		n := float64(len(series))
		x0 := gx + (gw-n*gBar-(n-1)*gGap)/2
		g := group{Label: axisLabel[i], X: px(gx + gw/2), LabelY: px(y(0) + 14), MarkY: px(y(0) + 27)}
		if measured {
			g.Mark = "(" + markOf[a.Provenance] + ")"
		}
		for j, s := range series {
			bx := x0 + float64(j)*(gBar+gGap)
			top := y(s.v)
			g.Bars = append(g.Bars, vbar{
				X: px(bx), Y: px(top), W: px(gBar), H: px(y(0) - top), Fill: s.fill, Stroke: "#222", Class: s.class,
				Value: fmt.Sprintf("%.2f", s.v), LX: px(bx + gBar/2), LY: px(top - 3),
				Title: fmt.Sprintf("%s %s: %.2f (%s)", r.System.Name(), a.Axis, s.v, s.what),
			})
		}
		c.Groups = append(c.Groups, g)
	}
	return c
}

type xTick struct{ X, Label string }

type hbar struct {
	X, Y, W, H, Fill, Class, Title string
}

type whisker struct{ X1, X2, Y, Y1, Y2 string }

type rowText struct{ X, Y, Text string }

type hRow struct {
	Label, LabelY string
	Bars          []hbar
	Median        *whisker // the median's tick, drawn across the bar
	Whisker       *whisker
	Marker        string // polygon points of the p90 diamond, or ""
	Texts         []rowText
}

type anchorLine struct{ X, Y1, Y2, Label, LabelY string }

type hChart struct {
	ID, Title, AxisLabel string
	W, H                 string
	PlotL, PlotR         string
	AxisY, TickY         string
	Ticks                []xTick
	Rows                 []hRow
	Anchors              []anchorLine
}

const (
	hW, hLeft, hPlotR = 1100.0, 150.0, 720.0
	hTop, hBottom     = 24.0, 40.0
)

// logScale maps [lo, hi] onto [hLeft, hPlotR] on a log scale.
func logScale(lo, hi float64) func(float64) float64 {
	return func(v float64) float64 {
		v = math.Max(lo, math.Min(hi, v))
		return hLeft + (math.Log(v)-math.Log(lo))/(math.Log(hi)-math.Log(lo))*(hPlotR-hLeft)
	}
}

func frame(id, title, axis string, rows int, rowH float64, ticks []float64, x func(float64) float64, unit func(float64) string) hChart {
	h := hTop + float64(rows)*rowH + hBottom
	c := hChart{ID: id, Title: title, AxisLabel: axis, W: px(hW), H: px(h), PlotL: px(hLeft), PlotR: px(hPlotR),
		AxisY: px(h - hBottom), TickY: px(h - hBottom + 15)}
	for _, t := range ticks {
		c.Ticks = append(c.Ticks, xTick{X: px(x(t)), Label: unit(t)})
	}
	return c
}

func tickMS(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%g s", v/1000)
	}
	return fmt.Sprintf("%g ms", v)
}

// latencyChart draws, per measured variant, the median start latency as a
// bar, its confidence interval as a whisker and the p90 as a diamond.
func latencyChart(res *results.Results) *hChart {
	type item struct {
		variant string
		s       stats.Summary
	}
	var items []item
	lo, hi := math.Inf(1), 0.0
	for _, v := range res.Systems {
		if v.Fingerprint.Available && v.StartLatency != nil && v.StartLatency.Summary.N > 0 {
			s := v.StartLatency.Summary
			items = append(items, item{v.Variant, s})
			lo = math.Min(lo, math.Min(s.Lo, s.Median))
			top := math.Max(s.Hi, s.Median)
			if s.P90 != nil {
				top = math.Max(top, *s.P90)
			}
			hi = math.Max(hi, top)
		}
	}
	if len(items) == 0 {
		return nil
	}
	lo = math.Min(lo, rubric.LatencyBestMS) // always show the rubric's 1.0 anchor
	ticks, dlo, dhi := logTicks(lo*0.95, hi*1.05)
	x := logScale(dlo, dhi)
	const rowH = 40.0
	c := frame("latency", "Start latency per variant: median (bar) with its 95% confidence interval (whisker) and p90 (diamond)",
		"milliseconds from the spawn request to the probe's ready line, log scale", len(items), rowH, ticks, x, tickMS)
	for i, it := range items {
		cy := hTop + rowH*(float64(i)+0.5)
		s := it.s
		r := hRow{Label: it.variant, LabelY: px(cy + 4)}
		xm := x(s.Median)
		r.Bars = []hbar{{X: px(hLeft), Y: px(cy - 8), W: px(xm - hLeft), H: "16", Fill: fillLatency, Class: "bar-latency",
			Title: fmt.Sprintf("%s median %s", it.variant, units.Millis(s.Median))}}
		r.Median = &whisker{X1: px(xm), X2: px(xm), Y1: px(cy - 8), Y2: px(cy + 8)}
		r.Whisker = &whisker{X1: px(x(s.Lo)), X2: px(x(s.Hi)), Y: px(cy), Y1: px(cy - 12), Y2: px(cy + 12)}
		text := fmt.Sprintf("median %s  [%s, %s]", units.Millis(s.Median), units.Millis(s.Lo), units.Millis(s.Hi))
		if s.P90 != nil {
			px90 := x(*s.P90)
			r.Marker = fmt.Sprintf("%s,%s %s,%s %s,%s %s,%s", px(px90), px(cy-7), px(px90+7), px(cy), px(px90), px(cy+7), px(px90-7), px(cy))
			text += "  p90 " + units.Millis(*s.P90)
		}
		text += fmt.Sprintf("  n=%d", s.N)
		r.Texts = []rowText{{X: px(hPlotR + 14), Y: px(cy + 4), Text: text}}
		c.Rows = append(c.Rows, r)
	}
	bottom := hTop + rowH*float64(len(items))
	for _, a := range []struct {
		v     float64
		label string
	}{{rubric.LatencyBestMS, "score 1.0"}, {rubric.LatencyWorstMS, "score 0.0"}} {
		if a.v >= dlo && a.v <= dhi {
			c.Anchors = append(c.Anchors, anchorLine{X: px(x(a.v)), Y1: px(hTop - 6), Y2: px(bottom), Label: a.label, LabelY: px(hTop - 10)})
		}
	}
	return &c
}

// memoryChart draws, per measured variant, the host memory per idle
// sandbox by the two methods: own accounting (solid) and the drop in
// MemAvailable (hatched).
func memoryChart(res *results.Results) *hChart {
	type item struct {
		variant string
		d       *results.Density
	}
	var items []item
	lo, hi := math.Inf(1), 0.0
	for _, v := range res.Systems {
		if d := v.Density; v.Fingerprint.Available && d != nil && d.Started > 0 && d.PerInstanceMiB.N > 0 {
			items = append(items, item{v.Variant, d})
			for _, m := range []float64{d.PerInstanceMiB.Median, d.DeltaPerInstanceMiB} {
				if m > 0 {
					lo, hi = math.Min(lo, m), math.Max(hi, m)
				}
			}
		}
	}
	if len(items) == 0 {
		return nil
	}
	ticks, dlo, dhi := logTicks(math.Min(lo*0.9, rubric.DensityBestMiB), hi*1.05)
	x := logScale(dlo, dhi)
	const rowH = 46.0
	c := frame("memory", "Host memory per idle sandbox, by two methods",
		"MiB per instance, log scale", len(items), rowH, ticks, x, func(v float64) string { return fmt.Sprintf("%g MiB", v) })
	for i, it := range items {
		cy := hTop + rowH*(float64(i)+0.5)
		d := it.d
		r := hRow{Label: it.variant, LabelY: px(cy + 4)}
		r.Bars = append(r.Bars, hbar{X: px(hLeft), Y: px(cy - 15), W: px(x(d.PerInstanceMiB.Median) - hLeft), H: "14", Fill: fillMedian, Class: "bar-memory",
			Title: fmt.Sprintf("%s: %.2f MiB per instance (PSS + cgroup, median of %d)", it.variant, d.PerInstanceMiB.Median, d.PerInstanceMiB.N)})
		r.Texts = append(r.Texts, rowText{X: px(hPlotR + 14), Y: px(cy - 4), Text: fmt.Sprintf("%.2f MiB  PSS + cgroup, median of %d/%d held", d.PerInstanceMiB.Median, d.Started, d.Requested)})
		if d.DeltaPerInstanceMiB > 0 {
			r.Bars = append(r.Bars, hbar{X: px(hLeft), Y: px(cy + 1), W: px(x(d.DeltaPerInstanceMiB) - hLeft), H: "14", Fill: fillMemAvail, Class: "bar-memavail",
				Title: fmt.Sprintf("%s: %.2f MiB per instance (MemAvailable drop / %d)", it.variant, d.DeltaPerInstanceMiB, d.Started)})
			r.Texts = append(r.Texts, rowText{X: px(hPlotR + 14), Y: px(cy + 12), Text: fmt.Sprintf("%.2f MiB  drop in MemAvailable per sandbox", d.DeltaPerInstanceMiB)})
		}
		c.Rows = append(c.Rows, r)
	}
	bottom := hTop + rowH*float64(len(items))
	for _, a := range []struct {
		v     float64
		label string
	}{{rubric.DensityBestMiB, "score 1.0"}, {rubric.DensityWorstMiB, "score 0.0"}} {
		if a.v >= dlo && a.v <= dhi {
			c.Anchors = append(c.Anchors, anchorLine{X: px(x(a.v)), Y1: px(hTop - 6), Y2: px(bottom), Label: a.label, LabelY: px(hTop - 10)})
		}
	}
	return &c
}

// Waterfall segments, each darker than the last, so they stay apart in
// greyscale.
var waterfallFills = []string{"#e3e8f2", "#9fb2d6", "#4f6fa8", "#1f3b73"}

// waterfallChart draws, per variant that measured it, the time to
// interactive of python-hello as a waterfall of medians from the request:
// the runtime returning, the probe's ready line, the first verified result,
// the second. Linear scale: the steps add up.
func waterfallChart(res *results.Results) *hChart {
	type item struct {
		variant string
		steps   [4]float64 // returned, ready, first, second: medians from the request, ms
	}
	var items []item
	hi := 0.0
	for _, v := range res.Systems {
		if v.Workloads == nil {
			continue
		}
		for _, t := range v.Workloads.TTI {
			if t.Workload != rubric.DefaultStartWorkload || t.SecondResult.N == 0 {
				continue
			}
			it := item{v.Variant, [4]float64{t.Returned.Median, t.Ready.Median, t.FirstResult.Median, t.SecondResult.Median}}
			items = append(items, it)
			hi = math.Max(hi, it.steps[3])
		}
	}
	if len(items) == 0 {
		return nil
	}
	step := niceStep(hi / 5)
	top := math.Ceil(hi/step) * step
	x := func(v float64) float64 { return hLeft + math.Max(0, math.Min(v, top))/top*(hPlotR-hLeft) }
	var ticks []float64
	for t := 0.0; t <= top+step/2; t += step {
		ticks = append(ticks, t)
	}
	const rowH = 34.0
	c := frame("waterfall", "Time to interactive of python-hello: medians from the spawn request to the runtime returning, the probe ready, the first and the second verified result",
		"milliseconds from the spawn request, linear scale", len(items), rowH, ticks, x, tickMS)
	names := []string{"runtime returned", "probe ready", "first result", "second result"}
	for i, it := range items {
		cy := hTop + rowH*(float64(i)+0.5)
		r := hRow{Label: it.variant, LabelY: px(cy + 4)}
		prev := 0.0
		for k, end := range it.steps {
			if end < prev { // the runtime may return after the ready line
				end = prev
			}
			r.Bars = append(r.Bars, hbar{X: px(x(prev)), Y: px(cy - 8), W: px(x(end) - x(prev)), H: "16", Fill: waterfallFills[k], Class: "bar-waterfall",
				Title: fmt.Sprintf("%s %s: %s", it.variant, names[k], units.Millis(it.steps[k]))})
			prev = end
		}
		r.Texts = []rowText{{X: px(hPlotR + 14), Y: px(cy + 4), Text: fmt.Sprintf("ready %s  first %s  second %s", units.Millis(it.steps[1]), units.Millis(it.steps[2]), units.Millis(it.steps[3]))}}
		c.Rows = append(c.Rows, r)
	}
	return &c
}

// niceStep rounds v up to 1, 2 or 5 times a power of ten.
func niceStep(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
