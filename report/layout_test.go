package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/sys/unix"

	"github.com/agentic-eval/agentic-eval/drivers/registry"
	"github.com/agentic-eval/agentic-eval/report"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/vms"
)

// The layout test lays the real pages out in a real browser engine,
// headless Chromium (Debian's chromium package, installed by
// scripts/setup.sh), at a desktop, a laptop and a phone width, and fails
// naming every element that does not fit the page. A copy of each page gets
// a small measuring script; the product's template never carries one.

// layoutWidths are the viewport widths every page must fit: a wide desktop
// window, a small laptop and a phone.
var layoutWidths = []int{1400, 1024, 390}

// squeezeFrom is the narrowest width at which every table and chart must fit
// without scrolling; below it a table whose narrowest layout is still wider
// than the page may scroll inside its wrapper.
const squeezeFrom = 1024

// printWidth is an A4 page's printable width in CSS pixels (190 mm, Chrome's
// default margins taken off), at which the print rules must fit the page.
const printWidth = 718

// scrollWrapper is the one class of element allowed to scroll sideways: the
// wrapper around a table too wide to squeeze. Nothing else (the page, main,
// a section) may scroll, or the test could be passed by hiding the problem.
const scrollWrapper = "scroll-x"

// measureScript records, once the page has loaded, every element whose right
// edge passes the viewport's (outside an intended scroll container; the
// elements inside one that passes too are counted under it, not listed), and
// every element whose content is wider than its box where the box is not a
// scroll container, and posts them as JSON to the frame around the page.
// Elements drawn inside an SVG are the SVG's business: the SVG's own box is
// measured.
const measureScript = `<script>
(function () {
  function name(el) {
    var s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    var c = el.getAttribute('class');
    if (c && c.trim()) s += '.' + c.trim().split(/\s+/).join('.');
    for (var a = el.parentElement; a; a = a.parentElement) {
      if (a.id) { s += ' in #' + a.id; break; }
    }
    return s;
  }
  function scrolls(el) {
    var o = getComputedStyle(el).overflowX;
    return o === 'auto' || o === 'scroll';
  }
  function inScroller(el) {
    for (var p = el.parentElement; p && p !== document.documentElement; p = p.parentElement) {
      if (scrolls(p)) return true;
    }
    return false;
  }
  function measure() {
    var root = document.documentElement;
    var vw = root.clientWidth;
    var out = {viewport: vw, inner: window.innerWidth, page: root.scrollWidth, offenders: [], scrollers: []};
    var past = new Map();
    var all = document.body.querySelectorAll('*');
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      var t = el.tagName.toLowerCase();
      if (t === 'script') continue;
      if (el.closest('svg') && t !== 'svg') continue;
      if (getComputedStyle(el).display === 'none') continue;
      var r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      var own = scrolls(el);
      if (own) out.scrollers.push({el: name(el), cls: el.getAttribute('class') || '', client: el.clientWidth, scroll: el.scrollWidth});
      if (r.right > vw + 0.5 && !inScroller(el)) {
        var outer = past.get(el.parentElement);
        if (outer) { outer.inside++; past.set(el, outer); continue; }
        var o = {el: name(el), why: 'right edge past the viewport', right: Math.round(r.right), width: Math.round(r.width), inside: 0};
        past.set(el, o);
        out.offenders.push(o);
      } else if (!own && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
        out.offenders.push({el: name(el), why: 'content wider than its box', right: Math.round(r.right), width: el.scrollWidth, box: el.clientWidth});
      }
    }
    parent.postMessage(JSON.stringify(out), '*');
  }
  window.addEventListener('load', measure);
})();
</script>
`

// frameOf is the page Chromium loads: the measured page in a frame exactly
// width px wide (headless Chromium will not make a window narrower than
// 500 px, so a phone's width needs a frame), and a listener that writes the
// frame's measurements where the dumped DOM carries them back.
func frameOf(page string, width int) string {
	return fmt.Sprintf(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>html, body { margin: 0; } iframe { display: block; border: 0; }</style></head>
<body><iframe src=%q style="width: %dpx; height: 900px"></iframe>
<script>
window.addEventListener('message', function (e) {
  var pre = document.createElement('pre');
  pre.id = 'ae-layout-result';
  pre.textContent = e.data;
  document.body.appendChild(pre);
});
</script></body></html>
`, page, width)
}

// layoutResult is what measureScript found at one width.
type layoutResult struct {
	Viewport  float64 `json:"viewport"`
	Inner     float64 `json:"inner"`
	Page      float64 `json:"page"`
	Offenders []struct {
		El     string  `json:"el"`
		Why    string  `json:"why"`
		Right  float64 `json:"right"`
		Width  float64 `json:"width"`
		Box    float64 `json:"box"`
		Inside int     `json:"inside"`
	} `json:"offenders"`
	Scrollers []struct {
		El     string  `json:"el"`
		Class  string  `json:"cls"`
		Client float64 `json:"client"`
		Scroll float64 `json:"scroll"`
	} `json:"scrollers"`
}

func TestEveryTableAndChartFitsThePage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the layout test starts a browser")
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not on PATH (scripts/setup.sh installs Debian's chromium package): cannot lay the pages out")
	}
	hostRun, err := results.ReadResultsFile("../testdata/runs/host-run.json")
	if err != nil {
		t.Fatal(err)
	}
	sweeps, err := results.ReadResultsFile(sweepRun)
	if err != nil {
		t.Fatal(err)
	}
	pages := []struct {
		name string
		opts report.Options
	}{
		{"host-run", report.Options{Results: hostRun, ResultsPath: "testdata/runs/host-run.json"}},
		{"sweep-run", report.Options{Results: sweeps, ResultsPath: sweepRun}},
		{"curated", report.Options{}},
		{"side-by-side", report.Options{Results: hostRun, Others: []*results.Results{sweeps}, ResultsPath: "testdata/runs/host-run.json"}},
	}
	dir := t.TempDir()
	for _, p := range pages {
		p.opts.Weights, p.opts.Preferred, p.opts.Generated = vms.Balanced(), registry.Preferred(), time.Now()
		raw, _ := render(t, p.opts)
		if n := strings.Count(raw, "</body>"); n != 1 {
			t.Fatalf("%s: the page has %d </body> tags, want 1 to put the measuring script before", p.name, n)
		}
		raw = strings.Replace(raw, "</body>", measureScript+"</body>", 1)
		file := filepath.Join(dir, p.name+".html")
		if err := os.WriteFile(file, []byte(raw), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, w := range layoutWidths {
			t.Run(fmt.Sprintf("%s/%dpx", p.name, w), func(t *testing.T) {
				checkLayout(t, bin, file, w)
			})
		}
		// The page on paper: the print rules applied on screen at the width
		// of an A4 page's printable area, where nothing may scroll.
		if n := strings.Count(raw, "@media print {"); n != 1 {
			t.Fatalf("%s: the page has %d print rule sets, want 1", p.name, n)
		}
		printed := filepath.Join(dir, p.name+"-print.html")
		if err := os.WriteFile(printed, []byte(strings.Replace(raw, "@media print {", "@media all {", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprintf("%s/print-%dpx", p.name, printWidth), func(t *testing.T) {
			checkLayout(t, bin, printed, printWidth)
		})
	}
}

// checkLayout lays file out at width px in Chromium and fails naming every
// element that does not fit.
func checkLayout(t *testing.T, bin, file string, width int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	frame := strings.TrimSuffix(file, ".html") + fmt.Sprintf("-frame-%d.html", width)
	if err := os.WriteFile(frame, []byte(frameOf(filepath.Base(file), width)), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, err := dumpDOM(ctx, t, bin, frame, width)
	if err != nil {
		t.Fatal(err)
	}
	res, err := layoutOf(dom)
	if err != nil {
		t.Fatal(err)
	}
	// A frame that came out wider than asked would pass a phone layout
	// that does not fit a phone.
	if res.Inner != float64(width) {
		t.Fatalf("the page was laid out %.0f px wide, asked for %d", res.Inner, width)
	}
	for _, o := range res.Offenders {
		if o.Box > 0 {
			t.Errorf("%s: %s: %.0f px of content in a %.0f px box", o.El, o.Why, o.Width, o.Box)
		} else {
			t.Errorf("%s: %s: %.0f px wide, right edge at %.0f of %.0f%s", o.El, o.Why, o.Width, o.Right, res.Viewport, insideOf(o.Inside))
		}
	}
	for _, s := range res.Scrollers {
		switch {
		case !strings.Contains(" "+s.Class+" ", " "+scrollWrapper+" "):
			t.Errorf("%s scrolls sideways (%.0f px in %.0f): only a .%s wrapper may", s.El, s.Scroll, s.Client, scrollWrapper)
		case s.Scroll <= s.Client:
		case width >= squeezeFrom:
			t.Errorf("%s: %.0f px of content scrolls in %.0f px at %d px: from %d px up every table and chart must fit unscrolled", s.El, s.Scroll, s.Client, width, squeezeFrom)
		default:
			t.Logf("%s scrolls sideways: %.0f px in %.0f", s.El, s.Scroll, s.Client)
		}
	}
	if res.Page > res.Viewport {
		t.Errorf("the page is %.0f px wide in a %.0f px viewport", res.Page, res.Viewport)
	}
}

func insideOf(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (and %d elements inside it)", n)
}

// layoutOf reads measureScript's result out of a dumped DOM.
func layoutOf(dom []byte) (layoutResult, error) {
	var res layoutResult
	doc, err := html.Parse(bytes.NewReader(dom))
	if err != nil {
		return res, fmt.Errorf("parse the dumped DOM: %w", err)
	}
	found := find(doc, func(n *html.Node) bool { return attr(n, "id") == "ae-layout-result" })
	if len(found) != 1 {
		return res, fmt.Errorf("the dumped DOM (%d bytes) has %d measuring results, want 1: the script did not run or the page did not load", len(dom), len(found))
	}
	if err := json.Unmarshal([]byte(textOf(found[0])), &res); err != nil {
		return res, fmt.Errorf("read the measuring result: %w", err)
	}
	return res, nil
}

// dumpDOM loads file in headless Chromium at width×900 and returns the DOM
// after load. The browser gets its own HOME, TMPDIR and profile in a temp dir,
// resolves no name and sends anything it would fetch to a closed loopback
// port. Its process group is killed once the browser ends or ctx does, and
// any process left holding the temp dir (the crash handler starts its own
// session) is ended by its id, so no browser outlives the test.
func dumpDOM(ctx context.Context, t *testing.T, bin, file string, width int) ([]byte, error) {
	t.Helper()
	// A short path of its own, not t.TempDir's: the browser's singleton
	// socket lives under TMPDIR, and a socket's path is at most 107 bytes.
	home, err := os.MkdirTemp("", "ae-chromium-")
	if err != nil {
		return nil, fmt.Errorf("make chromium's home: %w", err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(home); err != nil {
			t.Errorf("remove chromium's home: %v", err)
		}
	})
	cmd := exec.Command(bin,
		"--headless=new", "--no-sandbox", "--disable-gpu",
		fmt.Sprintf("--window-size=%d,900", width), "--virtual-time-budget=2000",
		"--user-data-dir="+filepath.Join(home, "profile"),
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
		"--disable-background-networking", "--disable-component-update", "--disable-crash-reporter",
		"--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
		"--dump-dom", "file://"+file)
	// Its scratch dirs too (a killed browser leaves them behind) go under
	// home, which the test removes.
	cmd.Env = append(os.Environ(), "HOME="+home, "TMPDIR="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start chromium: %w", err)
	}
	defer endLeftovers(t, home)
	pid := cmd.Process.Pid
	// Wait for the browser to end without reaping it: while it is a zombie
	// its pid, the group's id, cannot be reused, so killing the group
	// reaches only the browser's own processes.
	exited := make(chan error, 1)
	go func() {
		var info unix.Siginfo
		for {
			err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
			if !errors.Is(err, unix.EINTR) {
				exited <- err
				return
			}
		}
	}()
	var timedOut bool
	select {
	case <-exited:
	case <-ctx.Done():
		timedOut = true
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	err = cmd.Wait()
	if timedOut {
		return nil, fmt.Errorf("chromium at %d px: no DOM within the deadline (%w); stderr: %s", width, ctx.Err(), tail(stderr.String()))
	}
	if err != nil {
		return nil, fmt.Errorf("chromium at %d px: %w; stderr: %s", width, err, tail(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// endLeftovers ends, by pid, every process whose command line names home
// (only this test's browser can: home is a fresh temp dir), and fails the
// test if one is still there a few seconds later.
func endLeftovers(t *testing.T, home string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := processesNaming(home)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("chromium processes still running after the test: %v", left)
			return
		}
		for _, pid := range left {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// processesNaming lists the live processes (not zombies) whose command line
// contains s.
func processesNaming(s string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(s)) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// tail keeps the end of a browser's stderr, which is mostly noise about
// D-Bus and the GPU, for an error message.
func tail(s string) string {
	const keep = 600
	s = strings.TrimSpace(s)
	if len(s) > keep {
		s = "…" + s[len(s)-keep:]
	}
	return s
}

// TestTheBrowserEndsAtItsDeadline: a browser that has not answered by its
// deadline is killed with its whole process group, the error says so, and
// no process of it is left (endLeftovers fails the test otherwise).
func TestTheBrowserEndsAtItsDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the layout test starts a browser")
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not on PATH (scripts/setup.sh installs Debian's chromium package)")
	}
	// A page whose load never ends (its script never returns), so that
	// the deadline ends the run however fast the browser starts on this
	// machine.
	page := filepath.Join(t.TempDir(), "page.html")
	if err := os.WriteFile(page, []byte("<!DOCTYPE html><title>t</title><p>x</p><script>for (;;) {}</script>"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = dumpDOM(ctx, t, bin, page, 1024)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("dumpDOM past its deadline: %v, want a deadline error", err)
	}
}
