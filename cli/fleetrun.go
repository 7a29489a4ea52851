package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/agentic-eval/agentic-eval/drivers/k8s"
	"github.com/agentic-eval/agentic-eval/drivers/registry"
	"github.com/agentic-eval/agentic-eval/fleet"
	"github.com/agentic-eval/agentic-eval/probebin"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/vms"
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
` + fleet.HostDir + `) is removed at the end, on error and on interrupt.`,
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
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "the cluster's kubeconfig (default $"+k8s.KubeconfigEnv+", $KUBECONFIG, ~/.kube/config, in-cluster, then "+k8s.LocalKubeconfig+")")
	return cmd
}

// measureArgs turns the flags into the nodes' `vms measure` arguments,
// and says what the default left out.
func (f fleetFlags) measureArgs(changed func(string) bool) (args []string, note string, err error) {
	if f.timeout <= 0 {
		return nil, "", usagef("--timeout %s: a Job's deadline must be positive", f.timeout)
	}
	if f.timeout < time.Second {
		return nil, "", usagef("--timeout %s: a Job's deadline is whole seconds, at least 1s", f.timeout)
	}
	if f.variants == "" {
		for _, v := range registry.Variants() {
			if !strings.HasPrefix(v, "k8s/") {
				args = append(args, v)
			}
		}
		args = append(args, "--skip-unavailable")
		note = "every variant but k8s/* (they would measure the cluster from inside itself); unavailable ones skipped on each node"
	} else {
		for _, v := range strings.Split(f.variants, ",") {
			v = strings.TrimSpace(v)
			if v == "" {
				return nil, "", usagef("--variants %s: an empty name", shorten(f.variants))
			}
			if strings.HasPrefix(v, "-") {
				return nil, "", usagef("--variants %s: a variant does not start with -", shorten(v))
			}
			if !knownVariant(v) {
				return nil, "", usagef("--variants: unknown variant or system %s: valid variants are %s", shorten(v), strings.Join(registry.Variants(), ", "))
			}
			args = append(args, v)
		}
		if f.skipUnavailable {
			args = append(args, "--skip-unavailable")
		}
	}
	if f.phases != "" {
		if _, err := results.ParsePhases(f.phases); err != nil {
			return nil, "", usagef("--phases: %v", err)
		}
		args = append(args, "--phases", f.phases)
	}
	ints := []struct {
		name string
		v    int
	}{{"samples", f.samples}, {"min-samples", f.minSamples}, {"warmups", f.warmups}}
	for _, i := range ints {
		if changed(i.name) {
			if i.v < 0 {
				return nil, "", usagef("--%s %d: not negative", i.name, i.v)
			}
			args = append(args, "--"+i.name, strconv.Itoa(i.v))
		}
	}
	if changed("precision") {
		if f.precision < 0 || f.precision >= 1 {
			return nil, "", usagef("--precision %g: a fraction from 0 up to 1", f.precision)
		}
		args = append(args, "--precision", strconv.FormatFloat(f.precision, 'g', -1, 64))
	}
	return args, note, nil
}

// knownVariant is true for what `vms measure` accepts as a name: a
// variant, its runtime part, or a system.
func knownVariant(v string) bool {
	for _, k := range registry.Variants() {
		_, part, _ := strings.Cut(k, "/")
		if strings.EqualFold(k, v) || strings.EqualFold(part, v) {
			return true
		}
	}
	_, err := vms.Parse(v)
	return err == nil
}

func (a *App) fleetMeasure(cmd *cobra.Command, f fleetFlags) error {
	args, note, err := f.measureArgs(cmd.Flags().Changed)
	if err != nil {
		return err
	}
	if f.out != "" {
		if err := checkOut(f.out); err != nil {
			return err
		}
	}
	var nodes []string
	if f.nodes != "" {
		for _, n := range strings.Split(f.nodes, ",") {
			if n = strings.TrimSpace(n); n == "" {
				return usagef("--nodes %s: an empty node name", shorten(f.nodes))
			}
			nodes = append(nodes, n)
		}
	}
	if f.selector != "" && len(nodes) > 0 {
		return usagef("--selector and --nodes both pick nodes: give one")
	}
	if err := fleet.CheckSelector(f.selector); err != nil {
		return asUsage(err)
	}
	if f.kubeconfig != "" {
		st, err := os.Stat(f.kubeconfig)
		if err != nil || !st.Mode().IsRegular() {
			return usagef("--kubeconfig %s: not a readable regular file", shorten(f.kubeconfig))
		}
		os.Setenv(k8s.KubeconfigEnv, f.kubeconfig)
	}
	conn, err := k8s.Connect()
	if err != nil {
		return fmt.Errorf("no cluster: %s (pass --kubeconfig, or bring the project's up with scripts/kube-up.sh)", oneLineErr(err))
	}
	ctx := cmd.Context()
	// Before minutes of building: is there a cluster to talk to?
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	_, err = conn.Client.CoreV1().Nodes().List(pctx, metav1.ListOptions{Limit: 1})
	cancel()
	if err != nil {
		return fmt.Errorf("no cluster at %s: %s (bring the project's up with scripts/kube-up.sh, or pass --kubeconfig)", conn.Source, oneLineErr(err))
	}
	if note != "" {
		fmt.Fprintf(a.stderr, "fleet: each node measures %s\n", note)
	}
	dir, err := os.MkdirTemp("", "ae-fleet-build-")
	if err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(a.stderr, "fleet: building the harness (CGO_ENABLED=0) and the probe\n")
	harness, err := fleet.BuildHarness(ctx, dir)
	if err != nil {
		return err
	}
	probe, err := probebin.Build(ctx)
	if err != nil {
		return fmt.Errorf("build the sandbox probe: %w", err)
	}
	if err := fleet.CheckStatic("/bin/busybox"); err != nil {
		return fmt.Errorf("the pod's shell: %w (install busybox-static)", err)
	}
	start := time.Now()
	set, err := fleet.Run(ctx, fleet.Options{
		Conn: conn, Selector: f.selector, Nodes: nodes, MeasureArgs: args, Timeout: f.timeout,
		Harness: harness, Probe: probe, Busybox: "/bin/busybox", Progress: a.stderr,
	})
	if errors.Is(err, fleet.ErrUsage) {
		return asUsage(errors.New(strings.TrimPrefix(err.Error(), "usage: ")))
	}
	if set == nil {
		return err
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
		return err
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
	for _, p := range paths {
		rs, set, err := results.ReadRunsFile(p)
		if err != nil {
			return nil, false, asUsage(err)
		}
		if set != nil {
			fromSet = true
			for _, nm := range set.NotMeasured() {
				fmt.Fprintf(a.stderr, "fleet %s: %s\n", set.RunID, nm)
			}
		}
		runs = append(runs, rs...)
	}
	return runs, fromSet, nil
}

func oneLineErr(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }
