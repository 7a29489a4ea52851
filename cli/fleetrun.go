package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentic-eval/agentic-eval/app"
	"github.com/agentic-eval/agentic-eval/results"
)

func init() { registerRoot((*App).fleetRunCmd) }

// fleetRunCmd is `fleet`, whose one subcommand is `measure`.
func (a *App) fleetRunCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "Measure every node of a Kubernetes cluster with the harness, one Job per node",
		Args:  subcommandArgs(),
		RunE:  helpRunE,
	}
	cmd.AddCommand(a.fleetMeasureCmd())
	return cmd
}

type fleetFlags struct {
	selector, nodes, variants, phases, out, kubeconfig string
	samples, minSamples, warmups                       int
	precision                                          float64
	skipUnavailable                                    bool
	timeout                                            time.Duration
}

func (a *App) fleetMeasureCmd() *cobra.Command {
	var f fleetFlags
	def := results.DefaultSettings()
	cmd := &cobra.Command{
		Use:   "measure",
		Short: "Run `vms measure` on every Ready node (or those picked) as Kubernetes Jobs and merge the results",
		Long: `measure runs the harness on each picked node as a Kubernetes Job: privileged, pinned
to the node, in the host's namespaces, against the node's own runtimes. Each node's
results document comes back through its pod's log and all are merged into one fleet set
that 'vms results', 'vms evaluate --results' and 'vms report --results' show host by host,
each host labelled with its node.

The harness's image is built here (a static build of this tool, the probe, the host's
busybox) and imported into the local node's containerd; no registry is used, so a node
that is not this host is reported as not measured, with the cause, unless its
Node.Status.Images already lists the run's image. The k8s/* variants are left out unless
named: they would measure the cluster from inside itself. Everything the run creates
(namespace ae-<run>, its Jobs and pods, the image, the node's directory under
` + app.FleetHostDir + `) is removed at the end, on error and on interrupt.`,
		Example: `  agentic-eval fleet measure --variants docker/runc --phases start-latency --samples 5 --out fleet.json
  agentic-eval vms results fleet.json`,
		Args: noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error { return a.fleetMeasure(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.selector, "selector", "", "label selector on nodes (e.g. node-role=sandbox); default every Ready node")
	fl.StringVar(&f.nodes, "nodes", "", "comma-separated node names to measure, instead of every Ready node")
	fl.StringVar(&f.variants, "variants", "", "comma-separated variants (or systems) each node measures (default every variant but k8s/*, unavailable ones skipped)")
	fl.StringVar(&f.phases, "phases", "", "comma-separated phases each node runs (default "+phaseNames(def.Phases)+"): "+phaseNames(results.AllPhases()))
	fl.IntVar(&f.samples, "samples", def.Samples, "most start-latency samples per variant on each node")
	fl.IntVar(&f.minSamples, "min-samples", def.MinSamples, "fewest samples of every repeated measurement on each node")
	fl.IntVar(&f.warmups, "warmups", def.Warmups, "start-latency warm-up spawns on each node, not counted")
	fl.Float64Var(&f.precision, "precision", def.Precision, "stop sampling once the median's 95% interval is within this fraction of it")
	fl.BoolVar(&f.skipUnavailable, "skip-unavailable", false, "on each node, skip named variants that cannot be measured there instead of failing")
	fl.DurationVar(&f.timeout, "timeout", 15*time.Minute, "each node's Job deadline (activeDeadlineSeconds); a node past it is not measured")
	fl.StringVar(&f.out, "out", "", "write the fleet set here (default stdout)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "the cluster's kubeconfig (default $AGENTIC_EVAL_KUBECONFIG, $KUBECONFIG, ~/.kube/config, in-cluster, then the project's own cluster)")
	return cmd
}

// settings are the nodes' run settings: the defaults, with the flags
// given.
func (f fleetFlags) settings(changed func(string) bool) (results.Settings, error) {
	s := results.DefaultSettings()
	if f.phases != "" {
		ph, err := results.ParsePhases(f.phases)
		if err != nil {
			return s, usagef("--phases: %v", err)
		}
		s.Phases = ph
	}
	if changed("samples") {
		s.Samples = f.samples
		if def := results.DefaultSettings(); !changed("min-samples") && s.Samples < def.MinSamples {
			s.MinSamples = s.Samples // as vms measure: --samples below the floor lowers it
		}
	}
	if changed("min-samples") {
		s.MinSamples = f.minSamples
	}
	if changed("warmups") {
		s.Warmups = f.warmups
	}
	if changed("precision") {
		s.Precision = f.precision
	}
	if err := s.Validate(); err != nil {
		return s, usagef("%v", err)
	}
	return s, nil
}

func (a *App) fleetMeasure(cmd *cobra.Command, f fleetFlags) error {
	if f.timeout <= 0 {
		return usagef("--timeout %s: a Job's deadline must be positive", f.timeout)
	}
	s, err := f.settings(cmd.Flags().Changed)
	if err != nil {
		return err
	}
	if f.out != "" {
		if err := checkOut(f.out); err != nil {
			return err
		}
	}
	var variants, nodes []string
	if f.variants != "" {
		for _, v := range strings.Split(f.variants, ",") {
			if v = strings.TrimSpace(v); v == "" {
				return usagef("--variants %s: an empty name", shorten(f.variants))
			}
			variants = append(variants, v)
		}
	}
	if f.nodes != "" {
		for _, n := range strings.Split(f.nodes, ",") {
			if n = strings.TrimSpace(n); n == "" {
				return usagef("--nodes %s: an empty node name", shorten(f.nodes))
			}
			nodes = append(nodes, n)
		}
	}
	start := time.Now()
	out, err := a.core(f.kubeconfig).FleetMeasure(cmd.Context(), app.FleetRequest{
		Settings: s, Variants: variants, SkipUnavailable: f.skipUnavailable,
		Selector: f.selector, Nodes: nodes, Timeout: f.timeout, Progress: a.stderr,
	})
	set := out.Set
	if set == nil {
		return fromApp(err)
	}
	if werr := a.writeSet(set, f.out); werr != nil {
		return errors.Join(err, werr)
	}
	measured := 0
	for _, n := range set.Nodes {
		if n.Measured {
			measured++
		}
	}
	fmt.Fprintf(a.stderr, "fleet %s: %d of %d nodes measured in %.1f s\n", set.RunID, measured, len(set.Nodes), time.Since(start).Seconds())
	if err != nil {
		return fromApp(err)
	}
	if measured == 0 {
		return fmt.Errorf("fleet %s measured no node: %s", set.RunID, strings.Join(set.NotMeasured(), "; "))
	}
	return nil
}

func (a *App) writeSet(set *results.FleetSet, out string) error {
	b, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the fleet set: %w", err)
	}
	b = append(b, '\n')
	if out == "" {
		_, err := a.stdout.Write(b)
		return err
	}
	if err := writeFileAtomic(out, b); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "fleet set written to %s\n", out)
	return nil
}

// readRunFiles reads results files and fleet sets, each set expanded into
// its measured nodes (labelled with their names); the nodes a set could
// not measure are noted on stderr. fromSet says whether any file was a
// set, so that even one node is shown as a host with its name.
func (a *App) readRunFiles(paths []string) (runs []*results.Results, fromSet bool, err error) {
	rs, err := a.core("").ReadRuns(paths)
	if err != nil {
		return nil, false, fromApp(err)
	}
	for _, nm := range rs.NotMeasured {
		fmt.Fprintln(a.stderr, nm)
	}
	return rs.Runs, rs.FromSet, nil
}

func oneLineErr(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }
