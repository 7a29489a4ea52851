package vms

import (
	"fmt"
)

// Axis is one of the five agent-native axes.
type Axis int

// The five axes, in the reference's fixed order.
const (
	StartLatency Axis = iota
	Density
	Isolation
	Snapshotting
	AgentControl
)

// NumAxes is how many axes there are.
const NumAxes = 5

var axisInfo = [NumAxes]struct{ name, json, short, meaning string }{
	StartLatency: {"start-latency", "start_latency", "start", "how fast a fresh isolated sandbox is ready (1.0 = under 100 ms)"},
	Density:      {"density", "density", "density", "sandboxes per host: per-instance memory and CPU overhead (1.0 = microVM or container class)"},
	Isolation:    {"isolation", "isolation", "isolation", "strength of the boundary around untrusted, agent-generated code (1.0 = hardware virtualization, minimal attack surface)"},
	Snapshotting: {"snapshotting", "snapshotting", "snapshot", "fork or restore a warm sandbox instantly, so an agent can branch a primed context"},
	AgentControl: {"agent-control", "agent_control", "agent-control", "a programmatic, discoverable, tool-native control plane an agent can drive itself"},
}

// Axes returns the five axes in fixed order.
func Axes() []Axis { return []Axis{StartLatency, Density, Isolation, Snapshotting, AgentControl} }

// Valid reports whether a is one of the five axes.
func (a Axis) Valid() bool { return a >= StartLatency && a <= AgentControl }

// Name is the axis's name as the reference prints it in comparisons.
func (a Axis) Name() string {
	if !a.Valid() {
		return fmt.Sprintf("axis(%d)", int(a))
	}
	return axisInfo[a].name
}

// String is Name.
func (a Axis) String() string { return a.Name() }

// JSONName is the serde field name of the axis in a profile.
func (a Axis) JSONName() string { return axisInfo[a].json }

// ShortName is the label the reference uses in a profile's one-line form
// (start, density, isolation, snapshot, agent-control).
func (a Axis) ShortName() string { return axisInfo[a].short }

// Meaning is a one-line definition of what 1.0 on the axis stands for.
func (a Axis) Meaning() string { return axisInfo[a].meaning }

// ParseAxis accepts an axis's name, its JSON field name or its short label,
// case-insensitively.
func ParseAxis(s string) (Axis, error) {
	l := asciiLower(s)
	for _, a := range Axes() {
		i := axisInfo[a]
		if l == i.name || l == i.json || l == i.short {
			return a, nil
		}
	}
	return 0, fmt.Errorf("unknown axis %q: valid axes are start-latency, density, isolation, snapshotting, agent-control", s)
}
