package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"

	"github.com/agentic-eval/agentic-eval/evaluate"
	"github.com/agentic-eval/agentic-eval/probe"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/rubric"
	"github.com/agentic-eval/agentic-eval/units"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Options say what to render.
type Options struct {
	// Results is the run to evaluate; nil renders the curated catalog only.
	Results *results.Results
	// Others are more runs (other hosts, or other times) set side by side
	// with Results: their headline figures and each one's fitness.
	Others []*results.Results
	// ResultsPath is where Results was read from, shown on the page.
	ResultsPath string
	// Weights rank the systems; the zero value means balanced.
	Weights vms.Weights
	// Weighting describes Weights in words, e.g. "preset untrusted-code
	// (start-latency=1,...)"; empty means Weights written out.
	Weighting string
	// ToolVersion is the version of the tool rendering the page; empty
	// means this build's (measure.ToolInfo).
	ToolVersion string
	// Generated is when the page was made; zero leaves it off the page.
	Generated time.Time
	// Preferred lists per system its variants most preferred first
	// (registry.Preferred), for evaluate.Options.
	Preferred map[vms.System][]string
}

//go:embed page.tmpl
var pageTemplate string

var tmpl = template.Must(template.New("page").Parse(pageTemplate))

// Render writes the page for opts to w.
func Render(w io.Writer, opts Options) error {
	if opts.Weights == (vms.Weights{}) {
		opts.Weights = vms.Balanced()
	}
	if err := opts.Weights.Validate(); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	if opts.Weighting == "" {
		opts.Weighting = "weights " + opts.Weights.String()
	}
	if opts.ToolVersion == "" {
		opts.ToolVersion = results.ToolInfo().Version
	}
	p := build(opts)
	if err := tmpl.Execute(w, p); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return nil
}

// page is everything the template shows, already formatted.
type page struct {
	// Headline is the answer's first line: which systems can run on the
	// measured host and are ranked, which are apart.
	Headline      string
	Apart         []rowView // the systems that cannot run on the host
	Emulated      bool      // some figure comes from software emulation
	Weighting     string
	Measured      bool
	Source        string
	ResultsPath   string
	Interrupted   bool
	Warnings      []string
	Rubric        string
	Threshold     string
	Rows          []rowView
	Side          *sideView // more runs side by side, when given
	Ties          bool      // some ranks are shared
	Published     []publishedView
	NoPublished   []publishedView // systems with nothing published, and why
	SystemCharts  []groupedChart
	Latency       *hChart
	Memory        *hChart
	Waterfall     *hChart
	Stages        []stageRow
	Files         []fileView
	CopyPaths     []copyPathView
	Sweeps        []xyChart
	Figures       []figureRow
	Churn         []churnRow
	Capacity      []capacityRow
	Disagreements []disagreementView
	NotMeasured   []notMeasuredView
	Failures      []failureView
	Host          []kv
	Settings      []kv
	Run           []kv
	ToolVersion   string
	ResultsTool   string
	Generated     string
}

type kv struct{ Key, Value string }

type cellView struct {
	Score, Mark, Title, Class string
}

type rowView struct {
	Rank                     string // "2", or "2=" for a shared place
	System, Fitness, Curated string
	Interval                 string // the fitness's bootstrap interval, "" for none
	Shift, ShiftClass        string
	Cells                    []cellView
	From                     string
}

type publishedView struct {
	System, Axis, Score, Basis string
}

type disagreementView struct {
	System, Axis, Variant        string
	Curated, Measured, Delta     string
	Provenance                   string
	CuratedEvidence, MeasuredWhy string
}

type notMeasuredView struct {
	System  string
	Reasons []variantReason
}

type variantReason struct{ Variant, Reason, Fix string }

type failureView struct {
	Variant, Phase, Cause string
	Count                 int
}

type figureRow struct {
	Variant, Start, P90, Teardown, Burst, Memory, MemAvail, Isolation, Restore, Warnings string
	Arrivals, Harness                                                                    string
}

var markOf = map[rubric.Provenance]string{
	rubric.Measured: "M", rubric.Checklist: "C", rubric.Declared: "D", rubric.Published: "P", rubric.Curated: "–",
}

var provTitle = map[rubric.Provenance]string{
	rubric.Measured:  "measured on this host",
	rubric.Checklist: "checklist of facts, some observed on this host",
	rubric.Declared:  "declared by the driver; the probe could not decide",
	rubric.Published: "published by its makers, on their hardware (cited under Published evidence)",
	rubric.Curated:   "curated judgment; nothing measured",
}

func f2(v float64) string { return fmt.Sprintf("%.2f", v) }

func build(opts Options) page {
	res := opts.Results
	ev := evaluate.Evaluate(res, opts.Weights, evaluate.Options{Preferred: opts.Preferred, Host: evaluate.HostFitFromResults(res)})
	p := page{
		Headline:    ev.Headline,
		Weighting:   opts.Weighting,
		Measured:    ev.Measured,
		ResultsPath: opts.ResultsPath,
		Rubric:      ev.Rubric,
		Threshold:   f2(rubric.DisagreementThreshold),
		ToolVersion: opts.ToolVersion,
	}
	if !opts.Generated.IsZero() {
		p.Generated = opts.Generated.UTC().Format("2006-01-02 15:04 UTC")
	}
	for _, r := range ev.Apart {
		v := rowOf(r)
		v.Rank = "–"
		v.From = "cannot run here; needs " + strings.Join(r.Needs, "; ")
		p.Apart = append(p.Apart, v)
	}
	all := append(append([]evaluate.Row(nil), ev.Rows...), ev.Apart...)
	for _, r := range all {
		if r.Emulated != "" {
			p.Emulated = true
		}
	}
	for _, r := range ev.Rows {
		p.Rows = append(p.Rows, rowOf(r))
	}
	for i, r := range all {
		if r.Tied && r.Rank > 0 {
			p.Ties = true
		}
		for _, pub := range r.Published {
			p.Published = append(p.Published, publishedView{System: r.System.Name(), Axis: pub.Axis.Name(), Score: f2(pub.Score), Basis: pub.Basis})
		}
		if len(r.Published) == 0 && r.PublishedNone != "" && r.Primary == "" {
			p.NoPublished = append(p.NoPublished, publishedView{System: r.System.Name(), Basis: r.PublishedNone})
		}
		p.SystemCharts = append(p.SystemCharts, systemChart(i+1, r, res != nil))
		for _, d := range r.Disagreements {
			p.Disagreements = append(p.Disagreements, disagreementView{
				System: r.System.Name(), Axis: d.Axis, Variant: d.Variant,
				Curated: f2(d.Curated), Measured: f2(d.Measured), Delta: fmt.Sprintf("%+.2f", d.Delta),
				Provenance: string(d.Provenance), CuratedEvidence: d.CuratedEvidence, MeasuredWhy: d.MeasuredBasis,
			})
		}
		if len(r.NotMeasured) > 0 && ev.Measured {
			p.NotMeasured = append(p.NotMeasured, notMeasuredOf(r))
		}
	}
	if res == nil {
		return p
	}
	p.ResultsTool = ev.Tool
	p.Interrupted = ev.Interrupted
	p.Source = fmt.Sprintf("run %s, %s to %s", ev.RunID, res.Started.UTC().Format("2006-01-02 15:04:05"), res.Finished.UTC().Format("15:04:05 UTC"))
	for _, w := range ev.Warnings {
		p.Warnings = append(p.Warnings, w.String())
	}
	p.Latency = latencyChart(res)
	p.Memory = memoryChart(res)
	p.Waterfall = waterfallChart(res)
	p.Stages = stageRows(res)
	p.Files, p.CopyPaths = fileRows(res)
	p.Sweeps = sweepCharts(res)
	p.Figures = figures(res)
	p.Churn, p.Capacity = churnRows(res), capacityRows(res)
	p.Failures = failures(res)
	p.Host, p.Settings, p.Run = hostFacts(res), settingsOf(res), runFacts(res)
	if len(opts.Others) > 0 {
		p.Side = sideOf(append([]*results.Results{res}, opts.Others...), opts)
	}
	return p
}

func rowOf(r evaluate.Row) rowView {
	v := rowView{Rank: fmt.Sprint(r.Rank), System: r.System.Name(), Fitness: f2(r.Fitness), Curated: f2(r.CuratedFitness), From: r.Primary}
	if r.Tied {
		v.Rank += "="
	}
	if r.FitnessLo != nil && r.FitnessHi != nil {
		v.Interval = fmt.Sprintf("[%s, %s]", f2(*r.FitnessLo), f2(*r.FitnessHi))
	}
	switch {
	case v.From == "" && len(r.Published) > 0:
		v.From = "published, curated"
	case v.From == "":
		v.From = "curated only"
	}
	if r.Emulated != "" {
		v.From += " (TCG software emulation: not representative)"
	}
	switch d := r.Fitness - r.CuratedFitness; {
	case d >= 0.005:
		v.Shift, v.ShiftClass = fmt.Sprintf("▲ %+.2f", d), "up"
	case d <= -0.005:
		v.Shift, v.ShiftClass = fmt.Sprintf("▼ %+.2f", d), "down"
	}
	for _, a := range r.Axes {
		title := fmt.Sprintf("%s %.2f, %s (curated %.2f): %s", a.Axis, a.Score, provTitle[a.Provenance], a.Curated, a.Basis)
		mark := markOf[a.Provenance]
		if a.Bound {
			mark += "b"
			title += " (a published bound of another quantity, scored as the interval it allows)"
		}
		if a.Emulated != "" {
			mark += "E"
			title += " (" + a.Emulated + ")"
		}
		v.Cells = append(v.Cells, cellView{Score: f2(a.Score), Mark: mark, Title: title, Class: "prov-" + string(a.Provenance)})
	}
	return v
}

func notMeasuredOf(r evaluate.Row) notMeasuredView {
	nm := notMeasuredView{System: r.System.Name()}
	for _, n := range r.NotMeasured {
		nm.Reasons = append(nm.Reasons, variantReason{Variant: n.Variant, Reason: n.Reason, Fix: n.Fix})
	}
	return nm
}

func figures(res *results.Results) []figureRow {
	var out []figureRow
	for _, v := range res.Systems {
		if !v.Fingerprint.Available {
			continue
		}
		f := figureRow{Variant: v.Variant, Start: "–", P90: "–", Teardown: "–", Burst: "–", Memory: "–", MemAvail: "–", Isolation: "–", Restore: "–"}
		if l := v.StartLatency; l != nil && l.Summary.N > 0 {
			f.Start = fmt.Sprintf("%s [%s, %s] n=%d", units.Millis(l.Summary.Median), units.Millis(l.Summary.Lo), units.Millis(l.Summary.Hi), l.Summary.N)
			if l.Summary.P90 != nil {
				f.P90 = units.Millis(*l.Summary.P90)
			}
			if l.Teardown.N > 0 {
				f.Teardown = units.Millis(l.Teardown.Median)
			}
		}
		f.Burst, f.Arrivals, f.Harness = burstFigure(v.BurstOf()), arrivalFigure(v.Arrivals), harnessFigure(&v)
		if d := v.Density; d != nil && d.Started > 0 {
			f.Memory = fmt.Sprintf("%.2f MiB (%d/%d held)", d.PerInstanceMiB.Median, d.Started, d.Requested)
			if d.PerInstanceMiB.N == 0 {
				f.Memory = fmt.Sprintf("not measured (0/%d sampled)", d.Started)
			}
			f.MemAvail = fmt.Sprintf("%.2f MiB", d.DeltaPerInstanceMiB)
		}
		if i := v.Isolation; i != nil {
			f.Isolation = string(i.Assessment.Boundary)
			if !i.Assessment.Observed {
				f.Isolation += " (declared)"
			}
			if n := countFindings(i.Assessment.Findings); n > 0 {
				f.Isolation += fmt.Sprintf(", %d finding%s", n, plural(n))
			}
		}
		if s := v.Snapshot; s != nil {
			switch {
			case !s.Supported:
				f.Restore = "unsupported"
			case s.Restore.N > 0:
				f.Restore = fmt.Sprintf("%s (%d/%d verified, %d forks)", units.Millis(s.Restore.Median), s.Verified, s.Verified+s.FailedRestores, s.Forks)
			case !s.CauseClass.Scored():
				f.Restore = "not measured: " + string(s.CauseClass) + " (cause under Failed attempts)"
			default:
				f.Restore = "failed here (cause under Failed attempts)"
			}
		}
		var warns []string
		if l := v.StartLatency; l != nil {
			warns = append(warns, l.Summary.Warnings...)
			if l.Stop != nil {
				warns = append(warns, fmt.Sprintf("start latency: %d samples, stopped at %s", l.Summary.N, l.Stop.Message))
			}
			if l.Prep.N > 0 {
				warns = append(warns, fmt.Sprintf("the harness's own preparation per spawn, not in the start figure: median %s", units.Millis(l.Prep.Median)))
			}
		}
		f.Warnings = strings.Join(warns, "; ")
		out = append(out, f)
	}
	return out
}

func countFindings(fs []probe.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Severity != vms.SeverityInfo {
			n++
		}
	}
	return n
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func failures(res *results.Results) []failureView {
	var out []failureView
	for _, v := range res.Systems {
		idx := map[string]int{}
		for _, f := range v.Failures {
			phase := f.Phase
			if !f.Class.Scored() {
				phase += " (" + string(f.Class) + ")"
			}
			key := phase + "\x00" + f.Cause
			if i, ok := idx[key]; ok {
				out[i].Count++
				continue
			}
			idx[key] = len(out)
			out = append(out, failureView{Variant: v.Variant, Phase: phase, Cause: f.Cause, Count: 1})
		}
	}
	return out
}

func hostFacts(res *results.Results) []kv {
	h := res.Host
	kvm := "not usable"
	if h.KVM.Usable {
		kvm = fmt.Sprintf("usable (%s, API %d)", h.KVM.Device, h.KVM.APIVersion)
	} else if h.KVM.Reason != "" {
		kvm = "not usable: " + h.KVM.Reason
	}
	virt := h.Virtualization.Virtualized
	if h.Virtualization.Hypervisor != "" && h.Virtualization.Hypervisor != "Unknown" {
		virt += " (" + h.Virtualization.Hypervisor + ")"
	}
	cg := h.Cgroups.Mode
	if len(h.Cgroups.V2Controllers) > 0 {
		cg += ", controllers " + strings.Join(h.Cgroups.V2Controllers, " ")
	}
	out := []kv{
		{"OS", h.OS},
		{"Kernel", strings.TrimSpace(h.KernelRelease + " " + h.KernelVersion)},
		{"Architecture", h.Arch},
		{"CPU", fmt.Sprintf("%s, %d logical cores (%d usable)", h.CPUModel, h.LogicalCores, h.UsableCores)},
		{"Memory", fmt.Sprintf("%.1f GiB", float64(h.MemTotalBytes)/(1<<30))},
		{"KVM", kvm},
		{"Host virtualized", virt},
		{"Cgroups", cg},
		{"Boot id", h.BootID},
	}
	for _, pr := range h.Problems {
		out = append(out, kv{"Not read", pr})
	}
	return out
}

func settingsOf(res *results.Results) []kv {
	s := res.Settings
	var phases []string
	for _, ph := range s.Phases {
		phases = append(phases, string(ph))
	}
	return []kv{
		{"Start-latency samples", fmt.Sprintf("%d after %d warm-ups", s.Samples, s.Warmups)},
		{"Burst", burstSetting(s)},
		{"Arrivals", arrivalSetting(s)},
		{"Density", densitySetting(s)},
		{"Churn", churnSetting(s)},
		{"Forks", fmt.Sprintf("%d restores from one snapshot", s.Forks)},
		{"Operation timeout", s.OpTimeout.String()},
		{"Memory floor", fmt.Sprintf("%.0f%% of MemTotal kept available", s.MinAvailable*100)},
		{"Page cache dropped", fmt.Sprint(s.DropCaches)},
		{"Phases", strings.Join(phases, ", ")},
	}
}

func runFacts(res *results.Results) []kv {
	out := []kv{
		{"Run id", res.RunID},
		{"Started", res.Started.UTC().Format(time.RFC3339)},
		{"Finished", res.Finished.UTC().Format(time.RFC3339)},
		{"Duration", res.Finished.Sub(res.Started).Round(time.Second).String()},
		{"Measured by", fmt.Sprintf("%s %s (%s)", res.Tool.Name, res.Tool.Version, res.Tool.GoVersion)},
		{"Schema", res.Schema},
	}
	if res.Interrupted {
		out = append(out, kv{"Interrupted", "yes: figures cover what was measured before the interrupt"})
	}
	return out
}

// logTicks returns 1-2-5 ticks covering [lo, hi] and the domain they span.
func logTicks(lo, hi float64) (ticks []float64, dlo, dhi float64) {
	if lo <= 0 {
		lo = hi / 100
	}
	if hi <= lo {
		hi = lo * 10
	}
	dlo = math.Pow(10, math.Floor(math.Log10(lo)))
	base := dlo
	for _, m := range []float64{2, 5} {
		if base*m <= lo {
			dlo = base * m
		}
	}
	for dec := math.Pow(10, math.Floor(math.Log10(dlo))); ; dec *= 10 {
		for _, m := range []float64{1, 2, 5} {
			t := dec * m
			if t < dlo*0.999 {
				continue
			}
			ticks = append(ticks, t)
			if t >= hi {
				return ticks, dlo, t
			}
		}
	}
}

// densitySetting says how the density fill was bounded.
func densitySetting(s results.Settings) string {
	if s.FillConcurrency == 0 {
		return fmt.Sprintf("%d idle sandboxes held at once", s.Density) // a document from before the fill
	}
	mode := "stopping once the memory slope is stable"
	if s.Capacity {
		mode = "to the memory guard"
	}
	return fmt.Sprintf("a fill of at most %d idle sandboxes, %d at a time, for at most %s, %s", s.Density, s.FillConcurrency, s.DensityTime, mode)
}

// churnSetting says how the churn loop was bounded.
func churnSetting(s results.Settings) string {
	if s.Churn == 0 {
		return "not run"
	}
	return fmt.Sprintf("at most %d create-run-destroy cycles or %s per variant, whichever first", s.Churn, s.ChurnTime)
}
