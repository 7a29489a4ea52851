package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/agentic-eval/agentic-eval/drivers/k8s"
	"github.com/agentic-eval/agentic-eval/fleet"
	"github.com/agentic-eval/agentic-eval/probebin"
	"github.com/agentic-eval/agentic-eval/results"
)

// FleetRequest is a measurement of every picked node of a cluster.
type FleetRequest struct {
	Settings results.Settings
	// Variants are names under Resolve's rule; none is every variant but
	// the Kubernetes ones (they would measure the cluster from inside
	// itself), each node skipping those it cannot run.
	Variants        []string
	SkipUnavailable bool
	// Selector is a label selector on nodes; Nodes names nodes; neither is
	// every Ready node.
	Selector string
	Nodes    []string
	// Timeout is each node's Job deadline, whole seconds.
	Timeout time.Duration
	// Progress gets one line per step; nil for none.
	Progress io.Writer
}

// FleetOutcome is the merged set and what the nodes were asked.
type FleetOutcome struct {
	Set *results.FleetSet
	// Note says what the default variants left out, when they were used.
	Note string
}

// FleetMeasure measures the picked nodes through Kubernetes Jobs, the
// settings shipped to every node as one JSON document, and merges their
// documents into one fleet set (returned with what was measured also when
// the run fails or is interrupted).
func (a *App) FleetMeasure(ctx context.Context, req FleetRequest) (FleetOutcome, error) {
	var out FleetOutcome
	if req.Timeout < time.Second {
		return out, inputf("timeout", "%s: a Job's deadline is whole seconds, at least 1s", req.Timeout)
	}
	if req.Selector != "" && len(req.Nodes) > 0 {
		return out, inputf("nodes", "a selector and node names both pick nodes: give one")
	}
	if err := fleet.CheckSelector(req.Selector); err != nil {
		return out, &InputError{Err: err}
	}
	for _, n := range req.Nodes {
		if strings.TrimSpace(n) == "" {
			return out, inputf("nodes", "an empty node name")
		}
	}
	variants, skip := req.Variants, req.SkipUnavailable
	if len(variants) == 0 {
		for _, v := range Variants() {
			if !strings.HasPrefix(v, "k8s/") {
				variants = append(variants, v)
			}
		}
		skip = true
		out.Note = "every variant but k8s/* (they would measure the cluster from inside itself); unavailable ones skipped on each node"
	} else {
		all, err := a.drivers()
		if err != nil {
			return out, err
		}
		for _, v := range variants {
			if _, err := Match(all, v); err != nil {
				return out, err
			}
		}
	}
	args, err := fleet.NodeArgs(req.Settings, variants, skip)
	if errors.Is(err, fleet.ErrUsage) {
		return out, &InputError{Field: "settings", Err: errors.Unwrap(err)}
	}
	if err != nil {
		return out, err
	}
	if a.cfg.Kubeconfig != "" {
		if st, err := os.Stat(a.cfg.Kubeconfig); err != nil || !st.Mode().IsRegular() {
			return out, inputf("kubeconfig", "%s: not a readable regular file", results.Shorten(a.cfg.Kubeconfig))
		}
	}
	conn, err := k8s.ConnectTo(a.cfg.Kubeconfig)
	if err != nil {
		return out, fmt.Errorf("no cluster: %s (pass --kubeconfig, or bring the project's up with scripts/kube-up.sh)", oneLine(err.Error()))
	}
	// Before minutes of building: is there a cluster to talk to?
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	_, err = conn.Client.CoreV1().Nodes().List(pctx, metav1.ListOptions{Limit: 1})
	cancel()
	if err != nil {
		return out, fmt.Errorf("no cluster at %s: %s (bring the project's up with scripts/kube-up.sh, or pass --kubeconfig)", conn.Source, oneLine(err.Error()))
	}
	say := func(format string, args ...any) {
		if req.Progress != nil {
			fmt.Fprintf(req.Progress, format+"\n", args...)
		}
	}
	if out.Note != "" {
		say("fleet: each node measures %s", out.Note)
	}
	dir, err := os.MkdirTemp("", "ae-fleet-build-")
	if err != nil {
		return out, fmt.Errorf("fleet: %w", err)
	}
	defer os.RemoveAll(dir)
	say("fleet: building the harness (CGO_ENABLED=0) and the probe")
	harness, err := fleet.BuildHarness(ctx, dir)
	if err != nil {
		return out, err
	}
	probe, err := probebin.Build(ctx)
	if err != nil {
		return out, fmt.Errorf("build the sandbox probe: %w", err)
	}
	if err := fleet.CheckStatic("/bin/busybox"); err != nil {
		return out, fmt.Errorf("the pod's shell: %w (install busybox-static)", err)
	}
	set, err := fleet.Run(ctx, fleet.Options{
		Conn: conn, Selector: req.Selector, Nodes: req.Nodes, MeasureArgs: args, Timeout: req.Timeout,
		Harness: harness, Probe: probe, Busybox: "/bin/busybox", Progress: req.Progress,
	})
	out.Set = set
	if errors.Is(err, fleet.ErrUsage) {
		return out, &InputError{Err: errors.New(strings.TrimPrefix(err.Error(), "usage: "))}
	}
	return out, err
}

// FleetHostDir is the directory on each node a fleet run's Job uses.
const FleetHostDir = fleet.HostDir

// SettingsFlag is the flag of `vms measure` that takes the settings as one
// JSON document, as a fleet's nodes are given them.
const SettingsFlag = fleet.SettingsFlag

// SettingsFromJSON reads run settings given as one JSON document (a fleet
// node's): known fields only, nothing after the document, and settings
// that validate.
func SettingsFromJSON(doc string) (results.Settings, error) {
	var s results.Settings
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, inputf("settings", "not a settings document: %v", err)
	}
	if dec.More() {
		return s, inputf("settings", "data after the settings document")
	}
	if err := s.Validate(); err != nil {
		return s, &InputError{Field: "settings", Err: err}
	}
	return s, nil
}
