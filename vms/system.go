package vms

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// System is one profiled VM or sandbox system.
type System int

// The seven systems, in the reference's fixed order.
const (
	AetherVM System = iota
	Firecracker
	CloudHypervisor
	GVisor
	Kata
	QEMUKVM
	Docker
)

var systemNames = [...]string{
	AetherVM:        "aethervm",
	Firecracker:     "firecracker",
	CloudHypervisor: "cloud-hypervisor",
	GVisor:          "gvisor",
	Kata:            "kata",
	QEMUKVM:         "qemu-kvm",
	Docker:          "docker",
}

// aliases maps every accepted lowercase spelling, canonical names included,
// to its system: exactly the reference's from_name table.
var aliases = map[string]System{
	"aethervm": AetherVM, "aether": AetherVM, "hypermachine": AetherVM,
	"firecracker": Firecracker, "fc": Firecracker,
	"cloud-hypervisor": CloudHypervisor, "cloudhv": CloudHypervisor, "chv": CloudHypervisor,
	"gvisor": GVisor, "runsc": GVisor,
	"kata": Kata, "kata-containers": Kata,
	"qemu-kvm": QEMUKVM, "qemu": QEMUKVM, "kvm": QEMUKVM,
	"docker": Docker, "runc": Docker, "containers": Docker,
}

// All returns every system in the reference's fixed order.
func All() []System {
	return []System{AetherVM, Firecracker, CloudHypervisor, GVisor, Kata, QEMUKVM, Docker}
}

// Valid reports whether s is one of the seven systems.
func (s System) Valid() bool { return s >= AetherVM && s <= Docker }

// Name is the canonical lowercase name, as in the reference.
func (s System) Name() string {
	if !s.Valid() {
		return fmt.Sprintf("system(%d)", int(s))
	}
	return systemNames[s]
}

// String is Name.
func (s System) String() string { return s.Name() }

// Aliases lists the other accepted spellings of s, sorted, canonical name
// excluded.
func (s System) Aliases() []string {
	var out []string
	for a, sys := range aliases {
		if sys == s && a != s.Name() {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

// MarshalJSON writes the canonical name, as serde does for the reference's
// enum through its name.
func (s System) MarshalJSON() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("marshal system: %d is not a system", int(s))
	}
	return json.Marshal(s.Name())
}

// UnmarshalJSON accepts any name Parse accepts.
func (s *System) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return fmt.Errorf("system must be a JSON string: %w", err)
	}
	sys, err := Parse(name)
	if err != nil {
		return err
	}
	*s = sys
	return nil
}

// Parse finds the system a name means, case-insensitively, accepting the
// reference's aliases (fc, chv, runsc, kvm, runc, hypermachine, ...).
// Surrounding spaces are not trimmed: a name is a name.
func Parse(name string) (System, error) {
	if sys, ok := aliases[asciiLower(name)]; ok {
		return sys, nil
	}
	return 0, &UnknownSystemError{Name: name, Nearest: nearestName(name)}
}

// UnknownSystemError says which name was not understood, what is valid and
// which valid spelling is nearest.
type UnknownSystemError struct {
	Name    string // what was given
	Nearest string // the closest valid spelling
}

func (e *UnknownSystemError) Error() string {
	names := make([]string, 0, len(systemNames))
	for _, s := range All() {
		names = append(names, s.Name())
	}
	msg := fmt.Sprintf("unknown system %q: valid systems are %s (aliases accepted, e.g. fc, chv, runsc, kvm, runc)",
		e.Name, strings.Join(names, ", "))
	if e.Nearest != "" {
		if sys := aliases[e.Nearest]; e.Nearest != sys.Name() {
			msg += fmt.Sprintf("; did you mean %q (%s)?", e.Nearest, sys.Name())
		} else {
			msg += fmt.Sprintf("; did you mean %q?", e.Nearest)
		}
	}
	return msg
}

// nearestName returns the accepted spelling with the smallest edit distance
// to name, ties broken by the alphabet so the answer is deterministic.
func nearestName(name string) string {
	lower := strings.ToLower(name)
	keys := make([]string, 0, len(aliases))
	for k := range aliases {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	best, bestD := "", -1
	for _, k := range keys {
		d := editDistance(lower, k)
		if bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance over runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// asciiLower lowers ASCII letters only, as the reference's
// to_ascii_lowercase: no other character folds onto an alias.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}
