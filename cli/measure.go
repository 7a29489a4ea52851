package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/agentic-eval/agentic-eval/app"
	"github.com/agentic-eval/agentic-eval/compare"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/units"
	"github.com/agentic-eval/agentic-eval/workload"
)

func init() {
	registerVMS((*App).doctorCmd)
	registerVMS((*App).measureCmd)
	registerVMS((*App).resultsCmd)
}

// doctorWidth is the widest line doctor's text writes: a 100-column
// terminal.
const doctorWidth = 100

// wrap breaks s into lines of at most width columns, each after indent;
// a word longer than a line stands on its own.
func wrap(s, indent string, width int) string {
	var b strings.Builder
	line, first := "", true
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = ""
		}
		if line == "" {
			line = indent
			if !first {
				line += "  "
			}
			line += word
			first = false
			continue
		}
		line += " " + word
	}
	if line != "" {
		b.WriteString(line + "\n")
	}
	return b.String()
}

func (a *App) doctorCmd() *cobra.Command {
	var kubeconfig string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Say which drivers can measure on this host, and for the others why not and the fix",
		Args:  noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			rows, stale, err := a.core(kubeconfig).Doctor(cmd.Context())
			if err != nil {
				return fromApp(err)
			}
			// The table is the markdown and the wide form; the text form
			// keeps each line within doctorWidth: a short row per variant,
			// its reason, warnings and fix wrapped under it.
			t := NewTable("VARIANT", "SYSTEM", "STATUS", "DETAIL", "FIX")
			var text strings.Builder
			text.WriteString("VARIANT           SYSTEM            STATUS       VERSION\n")
			for _, r := range rows {
				fp := r.Fingerprint
				status, detail, fix := "available", fp.Version, ""
				if !fp.Available {
					status, detail, fix = "unavailable", fp.Reason, fp.Fix
				}
				if len(fp.Warnings) > 0 {
					detail = strings.TrimSpace(detail + " (warning: " + strings.Join(fp.Warnings, "; ") + ")")
				}
				t.AddRow(r.Variant, r.System.Name(), status, detail, fix)
				version := fp.Version
				if len(version) > 30 {
					version = version[:29] + "…"
				}
				text.WriteString(strings.TrimRight(fmt.Sprintf("%-17s %-17s %-12s %s", r.Variant, r.System.Name(), status, version), " ") + "\n")
				if !fp.Available {
					text.WriteString(wrap("why: "+fp.Reason, "    ", doctorWidth))
					text.WriteString(wrap("fix: "+fp.Fix, "    ", doctorWidth))
				}
				for _, w := range fp.Warnings {
					text.WriteString(wrap("warning: "+w, "    ", doctorWidth))
				}
			}
			if a.format() == FormatJSON {
				// The JSON stays the rows; stale runs go to stderr.
				for _, l := range stale {
					fmt.Fprintln(a.stderr, l)
				}
				return a.emit(cmd, Output{JSON: rows})
			}
			return a.emit(cmd, Output{JSON: rows, Table: t, Text: func(w io.Writer) error {
				if err := writeString(w, text.String()); err != nil {
					return err
				}
				for _, l := range stale {
					if err := writeString(w, wrap(l, "", doctorWidth)); err != nil {
						return err
					}
				}
				return nil
			}})
		},
	}
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "the cluster of the k8s/* variants (default $KUBECONFIG, ~/.kube/config, in-cluster, then the project's own)")
	return cmd
}

// measureFlags are the knobs of a measurement run, shared by measure and
// evaluate.
type measureFlags struct {
	samples, minSamples, warmups, burst, density, forks int
	precision                                           float64
	timeout, phaseBudget                                time.Duration
	out                                                 string
	phases                                              string
	skipUnavailable, noDrop                             bool
	workloads, workloadCmd                              string
	workloadSamples, warmRuns                           int
	fileSizes                                           string
	sweep                                               sweepFlags
	churn, fillConcurrency                              int
	churnTime, densityTime                              time.Duration
	capacity                                            bool
	kubeconfig                                          string
	settingsJSON                                        string
	changed                                             func(name string) bool
	settingFlags                                        func() []string // the setting flags given
}

func (f *measureFlags) add(cmd *cobra.Command) {
	def := results.DefaultSettings()
	fl := cmd.Flags()
	fl.IntVar(&f.samples, "samples", def.Samples, "hard maximum of start-latency samples (and restores) per variant, after the warm-ups; sampling stops sooner, at --precision or at the ceiling --phase-budget buys")
	fl.IntVar(&f.minSamples, "min-samples", def.MinSamples, "fewest samples of every repeated measurement (start latency, time to interactive, warm runs), whatever the precision or budget")
	fl.Float64Var(&f.precision, "precision", def.Precision, "stop sampling once the median's 95% interval is within this fraction of it (0.1 is ±10%; 0 always takes the most samples)")
	fl.DurationVar(&f.phaseBudget, "phase-budget", def.PhaseBudget, "wall time a repeated measurement of one variant may take, its floor aside: divided by the cost per sample seen, it is the ceiling on n (0: only the hard maxima)")
	fl.IntVar(&f.warmups, "warmups", def.Warmups, "start-latency warm-up spawns, not counted")
	fl.IntVar(&f.burst, "burst", def.Burst, "largest burst level (spawns requested at once): the --burst-ladder levels below it, then it (0 skips the phase)")
	fl.IntVar(&f.density, "density", def.Density, "the most idle sandboxes the density fill holds at once; it stops earlier once the memory slope is stable (0 skips it)")
	fl.DurationVar(&f.densityTime, "density-time", def.DensityTime, "time bound of the density fill, per variant")
	fl.IntVar(&f.fillConcurrency, "fill-concurrency", def.FillConcurrency, "sandboxes the density fill starts at once")
	fl.BoolVar(&f.capacity, "capacity", false, "fill to the memory guard (20% of MemTotal available) instead of stopping at a stable slope; --density (default then 10000) and --density-time (default then 10m) still bound it")
	fl.IntVar(&f.churn, "churn", def.Churn, "create-run-destroy cycles per variant in the churn phase, at most (0 skips it)")
	fl.DurationVar(&f.churnTime, "churn-time", def.ChurnTime, "time budget of the churn phase per variant; it stops at --churn cycles or this, whichever first")
	fl.IntVar(&f.forks, "forks", def.Forks, "restores from one snapshot held at once, after the first restore")
	fl.DurationVar(&f.timeout, "timeout", def.OpTimeout, "limit for every single runtime operation; a hung runtime becomes a failure")
	fl.StringVar(&f.phases, "phases", "", "comma-separated phases to run (default "+phaseNames(results.DefaultSettings().Phases)+"): "+phaseNames(results.AllPhases()))
	fl.StringVar(&f.workloads, "workloads", strings.Join(def.Workload.Names, ","), "workloads of the workload phase, comma-separated: "+strings.Join(workload.Names(), ", "))
	fl.StringVar(&f.workloadCmd, "workload-cmd", "", "also measure this command line against the image (split on spaces), verified by its exit status")
	fl.IntVar(&f.workloadSamples, "workload-samples", def.Workload.Samples, "hard maximum of fresh sandboxes timing each workload's time to interactive (the sampling rule stops sooner)")
	fl.IntVar(&f.warmRuns, "warm-runs", def.Workload.WarmRuns, "hard maximum of runs of each workload in one warm sandbox, per exec path (the sampling rule stops sooner)")
	fl.StringVar(&f.fileSizes, "file-sizes", sizeList(def.Workload.FileSizes), "file sizes put into and got back from a sandbox, comma-separated, with K, M or G (KiB, MiB, GiB); e.g. 4K,1M,64M")
	fl.StringVar(&f.out, "out", "", "write the results JSON here (default agentic-eval-results-<run>.json)")
	fl.BoolVar(&f.skipUnavailable, "skip-unavailable", false, "skip named systems that cannot be measured here instead of failing")
	fl.BoolVar(&f.noDrop, "no-drop-caches", false, "do not drop the page cache before MemAvailable readings")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "the cluster of the k8s/* variants (default $KUBECONFIG, ~/.kube/config, in-cluster, then the project's own at /run/agentic-eval/kube/admin.kubeconfig)")
	f.sweep.add(fl)
	fl.StringVar(&f.settingsJSON, strings.TrimPrefix(app.SettingsFlag, "--"), "", "every setting as one JSON document (how a fleet's nodes are told theirs); no other setting flag with it")
	_ = fl.MarkHidden(strings.TrimPrefix(app.SettingsFlag, "--"))
	f.changed = func(name string) bool { return fl.Changed(name) }
	f.settingFlags = func() []string {
		var set []string
		fl.Visit(func(fl *pflag.Flag) {
			switch fl.Name {
			case "out", "skip-unavailable", "kubeconfig", "format", strings.TrimPrefix(app.SettingsFlag, "--"):
			default:
				set = append(set, "--"+fl.Name)
			}
		})
		return set
	}
}

func (f *measureFlags) settings() (results.Settings, error) {
	if f.settingsJSON != "" {
		if given := f.settingFlags(); len(given) > 0 {
			return results.Settings{}, usagef("%s carries every setting: give no other setting flag with it (given: %s)", app.SettingsFlag, strings.Join(given, ", "))
		}
		s, err := app.SettingsFromJSON(f.settingsJSON)
		return s, fromApp(err)
	}
	s := results.DefaultSettings()
	s.Samples, s.Warmups, s.Burst, s.Density, s.Forks, s.OpTimeout = f.samples, f.warmups, f.burst, f.density, f.forks, f.timeout
	s.MinSamples, s.Precision, s.PhaseBudget = f.minSamples, f.precision, f.phaseBudget
	if def := results.DefaultSettings(); f.minSamples == def.MinSamples && s.Samples < s.MinSamples {
		s.MinSamples = s.Samples // --samples below the default floor lowers the floor with it
	}
	s.DropCaches = !f.noDrop
	s.Churn, s.ChurnTime, s.DensityTime, s.FillConcurrency, s.Capacity = f.churn, f.churnTime, f.densityTime, f.fillConcurrency, f.capacity
	if f.capacity && f.changed != nil {
		if !f.changed("density") {
			s.Density = results.MaxCapacityFill
		}
		if !f.changed("density-time") {
			s.DensityTime = results.CapacityTime
		}
	}
	s.Workload.Samples, s.Workload.WarmRuns = f.workloadSamples, f.warmRuns
	sizes, err := parseSizes(f.fileSizes)
	if err != nil {
		return s, usagef("--file-sizes: %v", err)
	}
	s.Workload.FileSizes = sizes
	s.Workload.Names = nil
	if f.workloads != "" {
		ws, err := workload.Parse(f.workloads)
		if err != nil {
			return s, usagef("--workloads: %v", err)
		}
		for _, w := range ws {
			s.Workload.Names = append(s.Workload.Names, w.Name)
		}
	}
	if f.workloadCmd != "" {
		s.Workload.Command = strings.Fields(f.workloadCmd)
		if _, err := workload.Command(s.Workload.Command, 300_000); err != nil {
			return s, usagef("%v", err)
		}
	}
	if err := f.sweep.apply(&s); err != nil {
		return s, err
	}
	if f.phases != "" {
		ph, err := results.ParsePhases(f.phases)
		if err != nil {
			return s, usagef("--phases: %v", err)
		}
		s.Phases = ph
	}
	if err := s.Validate(); err != nil {
		return s, usagef("%v", err)
	}
	return s, nil
}

// runMeasurement measures the targets the names select, with live
// progress on stderr, and writes the results file.
func (a *App) runMeasurement(ctx context.Context, f measureFlags, names []string, s results.Settings) (*results.Results, string, error) {
	var given []string
	for _, g := range f.settingFlags() {
		given = append(given, strings.TrimPrefix(g, "--"))
	}
	for _, w := range app.NoEffect(s, given) {
		fmt.Fprintf(a.stderr, "agentic-eval: warning: --%s\n", w)
	}
	core := a.core(f.kubeconfig)
	targets, err := core.Resolve(ctx, names, app.ResolveOptions{SkipUnavailable: f.skipUnavailable})
	if err != nil {
		return nil, "", fromApp(err)
	}
	pr := newProgress(a.stderr)
	out, err := core.Measure(ctx, app.MeasureRequest{
		Targets: targets, Settings: s, Out: f.out,
		Progress: pr.event, Log: pr.logf,
		Reaped: func(r app.Reaped) { pr.logf("%s", reapedLine(r, false)) },
	})
	pr.finish()
	for _, n := range out.Notes {
		fmt.Fprintf(a.stderr, "agentic-eval: %s\n", n)
	}
	if err != nil {
		return out.Results, out.Path, fromApp(err)
	}
	return out.Results, out.Path, nil
}

func (a *App) measureCmd() *cobra.Command {
	var f measureFlags
	cmd := &cobra.Command{
		Use:   "measure [SYSTEM|VARIANT...]",
		Short: "Measure the systems available here (or those named) through their real runtimes",
		Long: `Measure start-latency (fresh sandboxes one after another; a ladder of bursts at
once, 1, 4, 16, 64, with the knee where throughput stops rising; open-loop Poisson
arrivals at a ladder of rates, timed from each scheduled arrival),
density (a fill of idle sandboxes, a batch at a time: the slope of host memory against
the number held, and each sandbox's own PSS and cgroup charge, projected to sandboxes
per GiB and to this host; it stops once the slope is stable, or with --capacity at the
memory guard), churn (create, run python-hello or ping, destroy, in a loop: latency
drift from the first tenth to the last, and the host's state after against before),
isolation (facts observed by the probe inside) and snapshotting (snapshot, restore,
fork, verified by a token in memory) through every available driver, or those named.
Everything the run creates is removed at the end, on error, on timeout and on
SIGINT/SIGTERM, except the caches it keeps on purpose for the next run (QEMU's
extracted guest kernel and image disk in /var/cache/agentic-eval/qemu, Docker's
sandbox image agentic-eval/sandbox:<key>-<size>-<probe>). A run records itself in the state directory first, and reaps what
runs that were killed left behind (see 'vms reap'). The results JSON holds raw
samples, summaries, failures (each classed runtime, environment or timeout) and
settings. Exit status 1 when a daemon became unreachable or every variant failed
for the environment; runtime failures alone are results and exit 0.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.settings()
			if err != nil {
				return err
			}
			if err := checkOut(f.out); err != nil {
				return err
			}
			res, path, err := a.runMeasurement(cmd.Context(), f, args, s)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "results written to %s\n", path)
			if err := a.emitResults(cmd, res); err != nil {
				return err
			}
			if res.Interrupted {
				return fmt.Errorf("interrupted: partial results written to %s; everything the run created was removed", path)
			}
			if why := res.EnvironmentFailure(); why != "" {
				return fmt.Errorf("%s; results written to %s", why, path)
			}
			return nil
		},
	}
	f.add(cmd)
	return cmd
}

func (a *App) resultsCmd() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "results FILE [FILE...]",
		Short: "Show the summary of a saved measurement run, or several runs (hosts) side by side",
		Long: `results shows one run's summary table and workload figures. Given several files
(runs of different hosts, or of one host at different times), it sets them side by side:
one column per run, headed by its host (CPU, cores, kernel, KVM, virtualized), each figure's
median and 95% interval, with a warning wherever the runs' shapes differ.`,
		Args: minArgs(1, "one or more results files written by `vms measure`"),
		RunE: func(cmd *cobra.Command, args []string) error {
			runs, fromSet, err := a.readRunFiles(args)
			if err != nil {
				return err
			}
			if len(runs) == 1 && !fromSet {
				return a.emitResults(cmd, runs[0])
			}
			var keep []string
			if !all {
				keep = sideFigures
			}
			return a.emitSide(cmd, compare.SideBySide(runs, keep...))
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "with several runs, every figure, not only the headline ones")
	return cmd
}

// emitResults prints a run's summary: one row per variant.
func (a *App) emitResults(cmd *cobra.Command, res *results.Results) error {
	if a.format() == FormatJSON {
		return a.emit(cmd, Output{JSON: res})
	}
	t := resultsTable(res)
	var b strings.Builder
	fmt.Fprintf(&b, "run %s on %s (%s, %d cores, kernel %s, KVM: %s)\n", res.RunID, hostLabel(res), res.Host.CPUModel, res.Host.LogicalCores, res.Host.KernelRelease, kvmLabel(res))
	if a.format() == FormatMarkdown {
		b.Reset()
		fmt.Fprintf(&b, "Run `%s` on %s (%s, %d cores, kernel %s, KVM: %s)\n\n", res.RunID, hostLabel(res), res.Host.CPUModel, res.Host.LogicalCores, res.Host.KernelRelease, kvmLabel(res))
		if err := writeString(a.stdout, b.String()); err != nil {
			return err
		}
		if err := t.WriteMarkdown(a.stdout); err != nil {
			return err
		}
		for _, wt := range resultTables(res) {
			if err := writeString(a.stdout, "\n"); err != nil {
				return err
			}
			if err := wt.WriteMarkdown(a.stdout); err != nil {
				return err
			}
		}
		return nil
	}
	if err := writeString(a.stdout, b.String()); err != nil {
		return err
	}
	if err := t.WriteText(a.stdout); err != nil {
		return err
	}
	for _, wt := range resultTables(res) {
		if err := writeString(a.stdout, "\n"); err != nil {
			return err
		}
		if err := wt.WriteText(a.stdout); err != nil {
			return err
		}
	}
	return writeString(a.stdout, resultNotes(res)+sweepNotes(res))
}

// resultTables are the tables after the headline one, each only when the
// run has its figures.
func resultTables(res *results.Results) []*Table {
	var out []*Table
	if t := phasesTable(res); t != nil {
		out = append(out, t)
	}
	return append(append(append(out, workloadTables(res)...), sweepTables(res)...), fleetTables(res)...)
}

func hostLabel(res *results.Results) string {
	if res.Host.OS != "" {
		return res.Host.OS
	}
	return "this host"
}

func kvmLabel(res *results.Results) string {
	if res.Host.KVM.Usable {
		return "/dev/kvm creates VMs"
	}
	return "not usable"
}

// resultsTable is the one-row-per-variant summary of a run.
func resultsTable(res *results.Results) *Table {
	t := NewTable("VARIANT", "START p50 [95% CI]", "p90", "TEARDOWN p50", "BURST", "MiB/INSTANCE", "ΔMemAvail MiB", "ISOLATION", "RESTORE p50", "FAILURES")
	t.AlignRight(1, 2, 3, 4, 5, 6, 8, 9)
	for _, v := range res.Systems {
		if !v.Fingerprint.Available {
			t.AddRow(v.Variant, "unavailable", "", "", "", "", "", "", "", "")
			continue
		}
		start, p90, td, burst, dens, delta, iso, restore := "-", "-", "-", "-", "-", "-", "-", "-"
		if l := v.StartLatency; l != nil && l.Summary.N > 0 {
			start = fmt.Sprintf("%s [%s, %s]", units.Millis(l.Summary.Median), units.Millis(l.Summary.Lo), units.Millis(l.Summary.Hi))
			if l.Summary.P90 != nil {
				p90 = units.Millis(*l.Summary.P90)
			}
			td = units.Millis(l.Teardown.Median)
		}
		if sw := v.BurstOf(); sw != nil {
			burst = burstCell(sw)
		}
		if d := v.Density; d != nil && d.Started > 0 {
			dens = densityCell(d)
			delta = fmt.Sprintf("%.2f", d.DeltaPerInstanceMiB)
		}
		if i := v.Isolation; i != nil {
			iso = string(i.Assessment.Boundary)
			if !i.Assessment.Observed {
				iso += " (declared)"
			}
		}
		if s := v.Snapshot; s != nil {
			switch {
			case !s.Supported:
				restore = "unsupported"
			case s.Restore.N > 0:
				restore = fmt.Sprintf("%s (%d/%d ok)", units.Millis(s.Restore.Median), s.Verified, s.Verified+s.FailedRestores)
			case !s.CauseClass.Scored():
				restore = "not measured"
			default:
				restore = "failed"
			}
		}
		t.AddRow(v.Variant, start, p90, td, burst, dens, delta, iso, restore, fmt.Sprint(len(v.Failures)))
	}
	return t
}

// resultNotes lists warnings and failure causes under the table, so a
// figure is never read without its caveats.
func resultNotes(res *results.Results) string {
	var b strings.Builder
	for _, w := range res.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	for _, v := range res.Systems {
		if !v.Fingerprint.Available {
			fmt.Fprintf(&b, "%s: unavailable: %s (fix: %s)\n", v.Variant, v.Fingerprint.Reason, v.Fingerprint.Fix)
		}
	}
	for _, v := range res.Systems {
		seen := map[string]bool{}
		for _, w := range append(append([]string(nil), v.Fingerprint.Warnings...), v.Warnings...) {
			fmt.Fprintf(&b, "%s: warning: %s\n", v.Variant, w)
		}
		if v.ElapsedNS > 0 {
			fmt.Fprintf(&b, "%s: took %s (%s)\n", v.Variant, units.Nanos(v.ElapsedNS), phaseTimes(v.PhaseNS))
		}
		if l := v.StartLatency; l != nil && l.Summary.N > 0 {
			fmt.Fprintf(&b, "%s: start latency: %s", v.Variant, sampledNote(l.Summary.N, l.Stop))
			if l.Prep.N > 0 {
				fmt.Fprintf(&b, "; the harness's own preparation per spawn (not in the figure): median %s", units.Millis(l.Prep.Median))
			}
			b.WriteString("\n")
		}
		if s := v.Snapshot; s != nil && s.Cause != "" {
			fmt.Fprintf(&b, "%s: snapshot: %s\n", v.Variant, s.Cause)
		}
		if d := v.Density; d != nil && d.StoppedBy != "" {
			fmt.Fprintf(&b, "%s: density stopped: %s\n", v.Variant, d.StoppedBy)
		}
		for _, l := range fleetNotes(v) {
			fmt.Fprintln(&b, l)
		}
		for _, f := range v.Failures {
			key := f.Phase + f.Cause
			if seen[key] || (v.Snapshot != nil && f.Phase == string(results.PhaseSnapshot) && strings.Contains(v.Snapshot.Cause, f.Cause)) {
				continue
			}
			seen[key] = true
			class := ""
			if !f.Class.Scored() {
				class = " (" + string(f.Class) + ")"
			}
			fmt.Fprintf(&b, "%s: %s failure%s: %s\n", v.Variant, f.Phase, class, oneLine(f.Cause))
		}
	}
	precision := res.Settings.Precision
	if precision <= 0 {
		precision = results.DefaultSettings().Precision
	}
	if met, total, misses := res.PrecisionNote(precision); total > 0 {
		fmt.Fprintf(&b, "medians known within ±%.0f%% (95%% interval): %d of %d\n", precision*100, met, total)
		for _, m := range misses {
			fmt.Fprintf(&b, "  not within: %s\n", oneLine(m))
		}
	}
	if res.Interrupted {
		b.WriteString("the run was interrupted: figures cover what was measured before\n")
	}
	return b.String()
}

// progress shows live progress: a rewritten line on a terminal, plain lines
// otherwise (one per phase change), so logs stay readable.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	last     string
	lastLine int
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

func (p *progress) event(e app.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf("%s %s %d/%d", e.Variant, e.Phase, e.Done, e.Total)
	if e.Message != "" {
		line += " " + e.Message
	}
	if p.tty {
		pad := ""
		if n := p.lastLine - len(line); n > 0 {
			pad = strings.Repeat(" ", n)
		}
		fmt.Fprintf(p.w, "\r%s%s", line, pad)
		p.lastLine = len(line)
		return
	}
	key := e.Variant + " " + string(e.Phase)
	if key != p.last || e.Done == e.Total {
		if key != p.last || e.Done != 0 {
			fmt.Fprintln(p.w, line)
		}
		p.last = key
	}
}

func (p *progress) logf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.lastLine > 0 {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", p.lastLine)+"\r")
		p.lastLine = 0
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.lastLine > 0 {
		fmt.Fprintln(p.w)
		p.lastLine = 0
	}
}

// sampledNote says how many samples a figure has and why no more were
// taken.
func sampledNote(n int, stop *stats.Stop) string {
	if stop == nil {
		return fmt.Sprintf("%d samples", n)
	}
	return fmt.Sprintf("%d samples, stopped at %s", n, stop.Message)
}

// phaseNames lists phases comma-separated.
func phaseNames(ps []results.Phase) string {
	var n []string
	for _, p := range ps {
		n = append(n, string(p))
	}
	return strings.Join(n, ", ")
}

// sizeList writes sizes as --file-sizes takes them.
func sizeList(sizes []int64) string {
	var out []string
	for _, n := range sizes {
		switch {
		case n%(1<<30) == 0:
			out = append(out, fmt.Sprintf("%dG", n>>30))
		case n%(1<<20) == 0:
			out = append(out, fmt.Sprintf("%dM", n>>20))
		case n%(1<<10) == 0:
			out = append(out, fmt.Sprintf("%dK", n>>10))
		default:
			out = append(out, fmt.Sprint(n))
		}
	}
	return strings.Join(out, ",")
}

// parseSizes reads "4K,1M,64M": bytes with an optional K, M or G (powers
// of 1024); an empty list measures no files.
func parseSizes(list string) ([]int64, error) {
	var out []int64
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		mult := int64(1)
		switch f[len(f)-1] {
		case 'K', 'k':
			mult, f = 1<<10, f[:len(f)-1]
		case 'M', 'm':
			mult, f = 1<<20, f[:len(f)-1]
		case 'G', 'g':
			mult, f = 1<<30, f[:len(f)-1]
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < 1 || n > (1<<30)/mult {
			return nil, fmt.Errorf("%s is not a size from 1 byte to 1G: want a number with an optional K, M or G, e.g. 4K,1M,64M", shorten(f))
		}
		out = append(out, n*mult)
	}
	return out, nil
}

// phaseTimes lists a variant's steps in run order with their times.
func phaseTimes(m map[string]int64) string {
	order := []string{"prepare"}
	for _, p := range results.AllPhases() {
		order = append(order, string(p))
	}
	order = append(order, "cleanup")
	var parts []string
	for _, k := range order {
		if ns, ok := m[k]; ok {
			parts = append(parts, k+" "+units.Nanos(ns))
		}
	}
	return strings.Join(parts, ", ")
}
