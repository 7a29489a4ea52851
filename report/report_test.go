package report_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/agentic-eval/agentic-eval/drivers/registry"
	"github.com/agentic-eval/agentic-eval/evaluate"
	"github.com/agentic-eval/agentic-eval/report"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/rubric"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
)

// fixturePath is a hand-made TEST FIXTURE (see testdata/genfixture): the
// structure of a real run, invented figures.
const fixturePath = "testdata/results-fixture.json"

func fixture(t *testing.T) *results.Results {
	t.Helper()
	res, err := results.ReadResultsFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// render renders opts and returns the raw page and its parsed tree.
func render(t *testing.T, opts report.Options) (string, *html.Node) {
	t.Helper()
	var b bytes.Buffer
	if err := report.Render(&b, opts); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("parse the page: %v", err)
	}
	return b.String(), doc
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	return slices.Contains(strings.Fields(attr(n, "class")), class)
}

// find returns every element under n for which match is true, in document
// order.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func byID(t *testing.T, n *html.Node, id string) *html.Node {
	t.Helper()
	got := find(n, func(n *html.Node) bool { return attr(n, "id") == id })
	if len(got) != 1 {
		t.Fatalf("%d elements with id %q, want 1", len(got), id)
	}
	return got[0]
}

func tag(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == name }
}

func class(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return hasClass(n, name) }
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// bodyRows returns the rows of a table's tbody.
func bodyRows(t *testing.T, doc *html.Node, id string) []*html.Node {
	t.Helper()
	tb := find(byID(t, doc, id), tag("tbody"))
	if len(tb) != 1 {
		t.Fatalf("table %s has %d tbody", id, len(tb))
	}
	return find(tb[0], tag("tr"))
}

func measuredOpts(t *testing.T) report.Options {
	return report.Options{Results: fixture(t), ResultsPath: fixturePath, Weights: vms.Balanced(), Weighting: "balanced weights",
		ToolVersion: "v0.0.0-reporttest", Generated: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
		Preferred: registry.Preferred()}
}

func TestTheRankingTableIsTheEvaluationWithProvenanceMarks(t *testing.T) {
	opts := measuredOpts(t)
	_, doc := render(t, opts)
	ev := evaluate.Evaluate(opts.Results, opts.Weights, evaluate.Options{Preferred: opts.Preferred, Host: evaluate.HostFitFromResults(opts.Results)})
	rows := bodyRows(t, doc, "ranking-table")
	if len(rows) != len(ev.Rows) {
		t.Fatalf("%d table rows, want %d", len(rows), len(ev.Rows))
	}
	marks := map[rubric.Provenance]string{rubric.Measured: "M", rubric.Checklist: "C", rubric.Declared: "D", rubric.Published: "P", rubric.Curated: "–"}
	for i, r := range ev.Rows {
		tr := rows[i]
		if got := attr(tr, "data-system"); got != r.System.Name() {
			t.Errorf("row %d is %s, want %s", i, got, r.System)
			continue
		}
		cells := find(tr, tag("td"))
		if fit := textOf(cells[2]); !strings.HasPrefix(fit, fmt.Sprintf("%.2f", r.Fitness)) {
			t.Errorf("%s fitness cell %q, want %.2f", r.System, fit, r.Fitness)
		}
		scored := find(tr, func(n *html.Node) bool { return n.Data == "td" && strings.Contains(attr(n, "class"), "prov-") })
		if len(scored) != vms.NumAxes {
			t.Fatalf("%s: %d axis cells", r.System, len(scored))
		}
		for j, a := range r.Axes {
			want := fmt.Sprintf("%.2f%s", a.Score, marks[a.Provenance])
			if got := textOf(scored[j]); got != want {
				t.Errorf("%s %s: cell %q, want %q", r.System, a.Axis, got, want)
			}
			if !strings.Contains(attr(scored[j], "title"), a.Basis) {
				t.Errorf("%s %s: the cell's title does not carry the basis %q", r.System, a.Axis, a.Basis)
			}
		}
	}
	// The fixture measured docker through the Engine: its start-latency is
	// measured and agent-control a checklist.
	for _, tr := range rows {
		if attr(tr, "data-system") == "docker" {
			if got := textOf(tr); !strings.Contains(got, "M") || !strings.Contains(got, "C") || !strings.Contains(got, "docker") {
				t.Errorf("docker row %q lacks its marks or variant", got)
			}
		}
	}
}

func TestEveryChartDrawsOneBarPerValue(t *testing.T) {
	opts := measuredOpts(t)
	_, doc := render(t, opts)
	curated := find(doc, class("bar-curated"))
	effective := find(doc, class("bar-effective"))
	if len(curated) != 7*vms.NumAxes || len(effective) != 7*vms.NumAxes {
		t.Errorf("%d curated and %d effective bars, want %d each", len(curated), len(effective), 7*vms.NumAxes)
	}
	// A bar's height is its score on the 0..1 scale of the plot: the 1.00
	// grid line's height above the baseline.
	for _, card := range find(doc, class("card")) {
		svg := find(card, tag("svg"))[0]
		var base, top float64
		for _, l := range find(svg, tag("line")) {
			y, _ := strconv.ParseFloat(attr(l, "y1"), 64)
			base = math.Max(base, y)
		}
		top = base
		for _, l := range find(svg, tag("line")) {
			y, _ := strconv.ParseFloat(attr(l, "y1"), 64)
			top = math.Min(top, y)
		}
		bars := find(svg, tag("rect"))
		values := find(svg, class("val"))
		if len(bars) != 2*vms.NumAxes || len(values) != len(bars) {
			t.Fatalf("%s: %d bars, %d value labels", attr(card, "id"), len(bars), len(values))
		}
		for i, bar := range bars {
			h, _ := strconv.ParseFloat(attr(bar, "height"), 64)
			v, _ := strconv.ParseFloat(textOf(values[i]), 64)
			if math.Abs(h-v*(base-top)) > 0.005*(base-top)+0.1 { // labels round to 2 decimals
				t.Errorf("%s bar %d: height %.1f for value %.2f on a %.1f px scale", attr(card, "id"), i, h, v, base-top)
			}
		}
	}
	var withLatency, withDensity int
	for _, v := range opts.Results.Systems {
		if v.Fingerprint.Available && v.StartLatency != nil && v.StartLatency.Summary.N > 0 {
			withLatency++
		}
		if v.Fingerprint.Available && v.Density != nil && v.Density.Started > 0 {
			withDensity++
		}
	}
	lat := byID(t, doc, "latency-chart")
	if n := len(find(lat, class("bar-latency"))); n != withLatency || n == 0 {
		t.Errorf("%d latency bars, want %d", n, withLatency)
	}
	if n := len(find(lat, class("whisker"))); n != withLatency {
		t.Errorf("%d CI whiskers, want %d", n, withLatency)
	}
	if n := len(find(lat, class("p90"))); n != withLatency {
		t.Errorf("%d p90 markers, want %d", n, withLatency)
	}
	for _, v := range opts.Results.Systems {
		if l := v.StartLatency; l != nil && l.Summary.N > 0 && !strings.Contains(textOf(lat), fmt.Sprintf("%.0f ms", l.Summary.Median)) {
			t.Errorf("latency chart does not write %s's median %.0f ms", v.Variant, l.Summary.Median)
		}
	}
	mem := byID(t, doc, "memory-chart")
	if a, b := len(find(mem, class("bar-memory"))), len(find(mem, class("bar-memavail"))); a != withDensity || b != withDensity {
		t.Errorf("%d and %d memory bars, want %d each", a, b, withDensity)
	}
	for _, svg := range find(doc, tag("svg")) {
		if attr(svg, "role") == "img" && (len(find(svg, tag("title"))) == 0 || len(find(svg, tag("text"))) == 0) {
			t.Errorf("chart %q has no title or no text labels", attr(svg, "aria-label"))
		}
	}
}

func TestDisagreementsShowBothEvidences(t *testing.T) {
	opts := measuredOpts(t)
	_, doc := render(t, opts)
	ev := evaluate.Evaluate(opts.Results, opts.Weights, evaluate.Options{Preferred: opts.Preferred, Host: evaluate.HostFitFromResults(opts.Results)})
	var want []evaluate.Disagreement
	for _, r := range append(ev.Rows, ev.Apart...) {
		want = append(want, r.Disagreements...)
	}
	rows := bodyRows(t, doc, "disagreements-table")
	if len(rows) != len(want) || len(want) == 0 {
		t.Fatalf("%d disagreement rows, want %d (the fixture has some)", len(rows), len(want))
	}
	for i, d := range want {
		got := textOf(rows[i])
		for _, s := range []string{d.Axis, d.Variant, d.MeasuredBasis, d.CuratedEvidence, fmt.Sprintf("%+.2f", d.Delta)} {
			if !strings.Contains(got, s) {
				t.Errorf("disagreement %d (%s %s): row lacks %q", i, d.Variant, d.Axis, s)
			}
		}
	}
}

func TestSystemsNotMeasuredGiveTheirReasonAndFix(t *testing.T) {
	opts := measuredOpts(t)
	_, doc := render(t, opts)
	var want []results.VariantResult
	for _, v := range opts.Results.Systems {
		if !v.Fingerprint.Available {
			want = append(want, v)
		}
	}
	rows := bodyRows(t, doc, "not-measured-table")
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	// The table follows the ranking, not the results file.
	byVariant := map[string]string{}
	for _, tr := range rows {
		got := textOf(tr)
		for _, v := range want {
			if strings.Contains(got, v.Fingerprint.Reason) {
				byVariant[v.Variant] = got
			}
		}
	}
	for _, v := range want {
		got, ok := byVariant[v.Variant]
		if !ok || !strings.Contains(got, v.System.Name()) || !strings.Contains(got, v.Fingerprint.Fix) {
			t.Errorf("no row with %s's reason and fix (%q)", v.Variant, got)
		}
	}
}

func TestHostRunSettingsAndFooterAreOnThePage(t *testing.T) {
	opts := measuredOpts(t)
	_, doc := render(t, opts)
	host := textOf(byID(t, doc, "host"))
	for _, s := range []string{"AMD EPYC 7B13", "6.1.0-28-cloud-amd64", "usable (/dev/kvm, API 12)", "fixture01", "20 after 2 warm-ups", "50 idle sandboxes", "30s"} {
		if !strings.Contains(host, s) {
			t.Errorf("host and run section lacks %q", s)
		}
	}
	foot := textOf(find(doc, tag("footer"))[0])
	for _, s := range []string{"v0.0.0-reporttest", rubric.Version, "test-fixture", "2026-11-28 12:00 UTC"} {
		if !strings.Contains(foot, s) {
			t.Errorf("footer %q lacks %q", foot, s)
		}
	}
	// The fixture labels itself; the page passes the label on.
	if w := textOf(byID(t, doc, "warnings")); !strings.Contains(w, "TEST FIXTURE") {
		t.Errorf("the fixture's own warning is not shown: %q", w)
	}
}

func TestWithoutResultsThePageIsCuratedOnlyAndSaysSo(t *testing.T) {
	p, _ := vms.LookupPreset("untrusted-code")
	raw, doc := render(t, report.Options{Weights: p.Weights, Weighting: "preset untrusted-code"})
	banner := textOf(byID(t, doc, "curated-only"))
	if !strings.Contains(banner, "nothing on this page was measured") {
		t.Errorf("banner %q", banner)
	}
	if strings.Contains(raw, `id="measured"`) || strings.Contains(raw, "latency-chart") || strings.Contains(raw, `id="host"`) {
		t.Error("a curated-only page shows measurement sections")
	}
	rows := bodyRows(t, doc, "ranking-table")
	// Curated scores, with the makers' published figures where cited.
	for i, pr := range evaluate.Evaluate(nil, p.Weights, evaluate.Options{}).Rows {
		if got := attr(rows[i], "data-system"); got != pr.System.Name() {
			t.Errorf("row %d: %s, want %s", i, got, pr.System)
		}
		if strings.ContainsAny(textOf(rows[i]), "MCD") {
			t.Errorf("row %d %q marks a score as measured", i, textOf(rows[i]))
		}
	}
	if n, m := len(find(doc, class("bar-curated"))), len(find(doc, class("bar-effective"))); n != 7*vms.NumAxes || m != 0 {
		t.Errorf("%d curated and %d effective bars, want %d and 0", n, m, 7*vms.NumAxes)
	}
}

func TestHostileStringsFromAResultsFileAreEscaped(t *testing.T) {
	opts := measuredOpts(t)
	res := opts.Results
	const script = `<script>alert("pwned")</script>`
	const img = `<img src=x onerror=alert(1)>`
	for i := range res.Systems {
		v := &res.Systems[i]
		switch {
		case !v.Fingerprint.Available && v.System == vms.AetherVM:
			v.Fingerprint.Reason = "binary missing " + script
			v.Fingerprint.Fix = img
		case v.Variant == "docker":
			v.Failures = append(v.Failures, results.Failure{Phase: "snapshot", Cause: `</code>` + script})
			v.Fingerprint.Warnings = append(v.Fingerprint.Warnings, `"><svg onload=alert(1)>`)
		}
	}
	res.Host.CPUModel = `Evil CPU </dd>` + script
	opts.ResultsPath = `x.json"><script>alert(2)</script>`
	raw, doc := render(t, opts)
	if n := len(find(doc, tag("script"))); n != 0 {
		t.Errorf("%d script elements made it into the page", n)
	}
	if n := len(find(doc, tag("img"))); n != 0 {
		t.Errorf("%d img elements made it into the page", n)
	}
	for _, el := range find(doc, func(*html.Node) bool { return true }) {
		for _, a := range el.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> carries an event handler %s=%q", el.Data, a.Key, a.Val)
			}
		}
	}
	if strings.Contains(raw, "<script") {
		t.Error("the raw page contains <script")
	}
	// The hostile text is shown, as text.
	nm := textOf(byID(t, doc, "not-measured"))
	if !strings.Contains(nm, script) || !strings.Contains(nm, img) {
		t.Errorf("the reason is not shown verbatim as text: %q", nm)
	}
	if !strings.Contains(textOf(byID(t, doc, "host")), "Evil CPU </dd>"+script) {
		t.Error("the CPU model is not shown verbatim as text")
	}
}

func TestThePageIsSelfContained(t *testing.T) {
	for name, opts := range map[string]report.Options{"measured": measuredOpts(t), "curated": {}} {
		raw, doc := render(t, opts)
		for _, s := range []string{"http://", "https://", "//fonts", "@import"} {
			if strings.Contains(raw, s) {
				t.Errorf("%s page contains %q", name, s)
			}
		}
		for _, el := range find(doc, func(n *html.Node) bool { return true }) {
			switch el.Data {
			case "script", "link", "iframe", "object", "embed", "img":
				t.Errorf("%s page has a <%s> element", name, el.Data)
			}
			for _, a := range el.Attr {
				if a.Key == "src" || a.Key == "href" {
					t.Errorf("%s page: <%s %s=%q>", name, el.Data, a.Key, a.Val)
				}
			}
		}
		for _, m := range regexp.MustCompile(`url\(([^)]*)\)`).FindAllStringSubmatch(raw, -1) {
			if !strings.HasPrefix(m[1], "#") {
				t.Errorf("%s page refers to url(%s)", name, m[1])
			}
		}
	}
}

func TestEveryChartIsWellFormedXML(t *testing.T) {
	raw, _ := render(t, measuredOpts(t))
	svgs := regexp.MustCompile(`(?s)<svg\b.*?</svg>`).FindAllString(raw, -1)
	if len(svgs) < 7+2 {
		t.Fatalf("%d svg elements, want the 7 system charts, latency and memory at least", len(svgs))
	}
	for i, s := range svgs {
		d := xml.NewDecoder(strings.NewReader(s))
		d.Strict = true
		for {
			_, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Errorf("svg %d is not well-formed XML: %v\n%.300s", i, err, s)
				break
			}
		}
	}
}

func TestInvalidWeightsAreRefused(t *testing.T) {
	err := report.Render(io.Discard, report.Options{Weights: vms.Weights{-1, 1, 1, 1, 1}})
	if err == nil || !strings.Contains(err.Error(), "non-negative") {
		t.Errorf("got %v, want the weights' validation error", err)
	}
}

func TestMemoryWithoutASampleIsNotMeasuredNotZero(t *testing.T) {
	opts := measuredOpts(t)
	var variant string
	for i := range opts.Results.Systems {
		if d := opts.Results.Systems[i].Density; d != nil && d.Started > 0 {
			variant = opts.Results.Systems[i].Variant
			d.PerInstanceMiB = stats.Summary{Unit: "MiB"}
			d.PerInstanceBytes, d.PSSBytes, d.CgroupBytes = nil, nil, nil
			break
		}
	}
	if variant == "" {
		t.Fatal("the fixture has no density phase that started sandboxes")
	}
	_, doc := render(t, opts)
	figures := textOf(byID(t, doc, "figures"))
	if !strings.Contains(figures, "not measured (0/") {
		t.Errorf("figures of %s do not say memory was not measured: %q", variant, figures)
	}
	if strings.Contains(figures, "0.00 MiB (") {
		t.Errorf("a memory figure without a sample reads 0.00: %q", figures)
	}
}

func TestPublishedEvidenceIsCitedAndIntervalsShown(t *testing.T) {
	opts := measuredOpts(t)
	_, doc := render(t, opts)
	pub := textOf(byID(t, doc, "published-table"))
	for _, want := range []string{"firecracker", "SPECIFICATION.md", "<= 125 ms", "kata", "memory_usage.sh", "upper bound"} {
		if !strings.Contains(pub, want) {
			t.Errorf("published evidence lacks %q: %q", want, pub)
		}
	}
	if none := textOf(byID(t, doc, "no-published")); !strings.Contains(none, "aethervm") || !strings.Contains(none, "judgment alone") {
		t.Errorf("no-published list %q", none)
	}
	ev := evaluate.Evaluate(opts.Results, opts.Weights, evaluate.Options{Preferred: opts.Preferred, Host: evaluate.HostFitFromResults(opts.Results)})
	rows := bodyRows(t, doc, "ranking-table")
	for i, r := range ev.Rows {
		cell := textOf(find(rows[i], tag("td"))[2])
		if hasCI := strings.Contains(cell, "["); hasCI != (r.FitnessLo != nil) {
			t.Errorf("%s fitness cell %q: interval shown %v, has one %v", r.System, cell, hasCI, r.FitnessLo != nil)
		}
		rank := textOf(find(rows[i], tag("td"))[0])
		if want := fmt.Sprint(r.Rank); rank != want && rank != want+"=" {
			t.Errorf("%s rank cell %q, want %d", r.System, rank, r.Rank)
		}
	}
}

func TestRunsSideBySideShowEachHostAndItsFitness(t *testing.T) {
	opts := measuredOpts(t)
	other, err := results.ReadResultsFile("../testdata/runs/default-run.json")
	if err != nil {
		t.Fatal(err)
	}
	opts.Others = []*results.Results{other}
	_, doc := render(t, opts)
	hosts := textOf(byID(t, doc, "hosts"))
	for _, want := range []string{"A: run " + opts.Results.RunID, "B: run " + other.RunID, "Runs side by side"} {
		if !strings.Contains(hosts, want) {
			t.Errorf("hosts section lacks %q", want)
		}
	}
	rows := bodyRows(t, doc, "side-fitness")
	if len(rows) != 7 {
		t.Fatalf("%d fitness rows, want 7", len(rows))
	}
	if cells := find(rows[0], tag("td")); len(cells) != 3 || !strings.Contains(textOf(cells[1]), "#") {
		t.Errorf("first fitness row %q", textOf(rows[0]))
	}
	if len(bodyRows(t, doc, "side-figures")) == 0 {
		t.Error("no figures side by side")
	}
	// Without other runs the section is absent.
	_, plain := render(t, measuredOpts(t))
	if len(find(plain, func(n *html.Node) bool { return attr(n, "id") == "hosts" })) != 0 {
		t.Error("a single run's page shows a side-by-side section")
	}
}
