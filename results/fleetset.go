package results

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// FleetSchema names a fleet set: the results documents of several nodes
// measured in one fleet run, merged.
const FleetSchema = "agentic-eval/fleet/v1"

// FleetSet is one fleet run: per node, its results document or why it
// holds none.
type FleetSet struct {
	Schema   string    `json:"schema"`
	Tool     Tool      `json:"tool"`
	RunID    string    `json:"run_id"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// MeasureArgs are what every node's `vms measure` was given.
	MeasureArgs []string    `json:"measure_args"`
	Nodes       []FleetNode `json:"nodes"`
	Interrupted bool        `json:"interrupted,omitempty"`
	Warnings    []string    `json:"warnings,omitempty"`
}

// FleetNode is one node's part of a fleet set.
type FleetNode struct {
	Node string `json:"node"`
	// Measured is false when the node holds no results; Cause says why
	// (no image on the node, the Job failed or timed out, no document in
	// its log).
	Measured bool   `json:"measured"`
	Cause    string `json:"cause,omitempty"`
	// ExitCode is the harness's exit status on the node, when it ran.
	ExitCode  *int     `json:"exit_code,omitempty"`
	ElapsedNS int64    `json:"elapsed_ns,omitempty"`
	Results   *Results `json:"results,omitempty"`
}

// Hosts expands the set into its measured nodes' runs, each labelled with
// its node (Results.Node), in the set's order.
func (s *FleetSet) Hosts() []*Results {
	var out []*Results
	for _, n := range s.Nodes {
		if n.Measured && n.Results != nil {
			r := n.Results
			r.Node = n.Node
			out = append(out, r)
		}
	}
	return out
}

// NotMeasured lists the nodes without results, each with its cause.
func (s *FleetSet) NotMeasured() []string {
	var out []string
	for _, n := range s.Nodes {
		if !n.Measured || n.Results == nil {
			out = append(out, fmt.Sprintf("node %s not measured: %s", n.Node, n.Cause))
		}
	}
	return out
}

// check refuses a set whose nodes' documents are not results of this
// schema: the set is read once, as a whole, under the safe reader's rules,
// and each node's document must itself be one it would accept.
func (s *FleetSet) check() error {
	if len(s.Nodes) == 0 {
		return errors.New("a fleet set with no node")
	}
	for i, n := range s.Nodes {
		if n.Node == "" {
			return fmt.Errorf("fleet node %d has no name", i)
		}
		if n.Results != nil && n.Results.Schema != Schema {
			return fmt.Errorf("node %s: %w %s: this tool reads %s", Shorten(n.Node), ErrUnsupported, Shorten(n.Results.Schema), Schema)
		}
		if n.Measured && n.Results == nil {
			return fmt.Errorf("node %s is marked measured but holds no results", Shorten(n.Node))
		}
	}
	return nil
}

// ReadRunsFile reads a results document or a fleet set from path under
// the same rules as ReadResultsFile, and returns its runs: the one run,
// or the set's measured nodes (each labelled with its node) and the set.
func ReadRunsFile(path string) ([]*Results, *FleetSet, error) {
	var probe struct {
		Schema string `json:"schema"`
	}
	opts := Options{Schemas: []string{Schema, FleetSchema}}
	if err := Read(path, &probe, opts); err != nil {
		return nil, nil, fmt.Errorf("read results: %w", err)
	}
	if probe.Schema == Schema {
		r, err := ReadResultsFile(path)
		if err != nil {
			return nil, nil, err
		}
		return []*Results{r}, nil, nil
	}
	var set FleetSet
	if err := Read(path, &set, Options{Schemas: []string{FleetSchema}, Subject: "fleet set"}); err != nil {
		return nil, nil, fmt.Errorf("read results: %w", err)
	}
	if err := set.check(); err != nil {
		return nil, nil, fmt.Errorf("read results: fleet set %s: %w", Shorten(path), err)
	}
	hosts := set.Hosts()
	if len(hosts) == 0 {
		return nil, nil, fmt.Errorf("read results: fleet set %s measured no node (%s)", Shorten(path), strings.Join(set.NotMeasured(), "; "))
	}
	return hosts, &set, nil
}
