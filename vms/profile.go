package vms

import "fmt"

// Profile is a system's curated scores on the five axes, 0.0 to 1.0, with
// the evidence behind them. Its JSON uses the reference's serde field names.
type Profile struct {
	System       System   `json:"vm"`
	StartLatency float64  `json:"start_latency"`
	Density      float64  `json:"density"`
	Isolation    float64  `json:"isolation"`
	Snapshotting float64  `json:"snapshotting"`
	AgentControl float64  `json:"agent_control"`
	Evidence     []string `json:"evidence"`
}

// Score is the profile's score on one axis.
func (p Profile) Score(a Axis) float64 {
	switch a {
	case StartLatency:
		return p.StartLatency
	case Density:
		return p.Density
	case Isolation:
		return p.Isolation
	case Snapshotting:
		return p.Snapshotting
	case AgentControl:
		return p.AgentControl
	}
	panic(fmt.Sprintf("vms: Score of invalid axis %d", int(a)))
}

// Scores returns the five scores in axis order.
func (p Profile) Scores() [NumAxes]float64 {
	return [NumAxes]float64{p.StartLatency, p.Density, p.Isolation, p.Snapshotting, p.AgentControl}
}

// WithScore returns a copy of p with one axis's score replaced.
func (p Profile) WithScore(a Axis, v float64) Profile {
	switch a {
	case StartLatency:
		p.StartLatency = v
	case Density:
		p.Density = v
	case Isolation:
		p.Isolation = v
	case Snapshotting:
		p.Snapshotting = v
	case AgentControl:
		p.AgentControl = v
	default:
		panic(fmt.Sprintf("vms: WithScore of invalid axis %d", int(a)))
	}
	return p
}

// Fitness is the unweighted mean of the five axes, summed in the reference's
// order so that ties fall exactly as they do there.
func (p Profile) Fitness() float64 {
	return (p.StartLatency + p.Density + p.Isolation + p.Snapshotting + p.AgentControl) / 5.0
}

// String is the reference's one-line form, e.g.
// "docker: fitness 0.65 (start 0.95, density 0.95, isolation 0.35, snapshot 0.40, agent-control 0.60)".
func (p Profile) String() string {
	return fmt.Sprintf("%s: fitness %.2f (start %.2f, density %.2f, isolation %.2f, snapshot %.2f, agent-control %.2f)",
		p.System.Name(), p.Fitness(), p.StartLatency, p.Density, p.Isolation, p.Snapshotting, p.AgentControl)
}
