package oci

import (
	"encoding/json"
	"fmt"
)

// State is one container as an OCI runtime reports it: the output of
// `RUNTIME state ID`, and one entry of `runc list --format json` or
// `runsc list -format=json`. The first five fields are the state the
// runtime-spec defines (runtime.md, "State"); Rootfs and Created are runc's
// additions (runsc leaves them empty).
type State struct {
	OCIVersion string `json:"ociVersion"`
	ID         string `json:"id"`
	Status     string `json:"status"` // creating, created, running, paused (runc), stopped
	Pid        int    `json:"pid"`    // the container's init on the host; 0 once stopped
	Bundle     string `json:"bundle"`
	Rootfs     string `json:"rootfs,omitempty"`
	Created    string `json:"created,omitempty"`
}

// ParseState parses the output of `RUNTIME state ID`; runtime ("runc",
// "runsc") names the runtime in errors. A state without an id is an error:
// it is not a runtime's answer.
func ParseState(runtime string, b []byte) (State, error) {
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("parse %s state: %w", runtime, err)
	}
	if s.ID == "" {
		return State{}, fmt.Errorf("parse %s state: no id in %q", runtime, truncate(b))
	}
	return s, nil
}

// ParseList parses the output of `runc list --format json` or `runsc list
// -format=json`: a JSON array of states, or the JSON literal null when the
// runtime's root holds no container (an empty list, not an error).
func ParseList(runtime string, b []byte) ([]State, error) {
	var l []State
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("parse %s list: %w", runtime, err)
	}
	return l, nil
}

// truncate shortens runtime output quoted in an error.
func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}
