package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Target is one driver a request measures, with the fingerprint it gave
// when it was resolved: the run records that fingerprint and does not ask
// the host again.
type Target struct {
	Driver      driver.Driver
	Fingerprint driver.Fingerprint
}

// ResolveOptions say how names become targets.
type ResolveOptions struct {
	// SkipUnavailable leaves out a named variant that cannot run here
	// instead of refusing the request (unless nothing is left).
	SkipUnavailable bool
	// Max bounds how many names a request may give (0: no bound).
	Max int
	// Exclude leaves out variants whose name starts with one of these
	// prefixes when no name is given (a fleet's nodes skip "k8s/").
	Exclude []string
}

// Resolve turns names into targets, each fingerprinted once. With no name
// every variant is a target, available or not (a run records why one is
// not). A name is, in this order: a variant's full name ("docker/runc");
// its runtime part ("runc", "systrap", "tcg"), which never selects a
// Kubernetes variant; "k8s" for every Kubernetes variant; a system's name
// or alias ("gvisor", "fc") for every variant of it. A named variant that
// cannot run here is refused with its reason and fix, unless
// opts.SkipUnavailable.
func (a *App) Resolve(ctx context.Context, names []string, opts ResolveOptions) ([]Target, error) {
	all, err := a.drivers()
	if err != nil {
		return nil, err
	}
	if opts.Max > 0 && len(names) > opts.Max {
		return nil, inputf("variants", "%d given, want at most %d of %s", len(names), opts.Max, strings.Join(Variants(), ", "))
	}
	if len(names) == 0 {
		var out []Target
		for _, d := range all {
			if excluded(d.Variant(), opts.Exclude) {
				continue
			}
			out = append(out, Target{Driver: d, Fingerprint: a.fingerprint(ctx, d)})
		}
		return out, nil
	}
	var picked []Target
	seen := map[string]bool{}
	for _, name := range names {
		match, err := Match(all, name)
		if err != nil {
			return nil, err
		}
		var usable []Target
		var reasons []string
		for _, d := range match {
			fp := a.fingerprint(ctx, d)
			if fp.Available {
				usable = append(usable, Target{Driver: d, Fingerprint: fp})
			} else {
				reasons = append(reasons, fmt.Sprintf("%s: %s (fix: %s)", d.Variant(), fp.Reason, fp.Fix))
			}
		}
		if len(usable) == 0 && !opts.SkipUnavailable {
			return nil, &UnavailableError{Name: name, Reasons: reasons}
		}
		for _, t := range usable {
			if !seen[t.Driver.Variant()] {
				seen[t.Driver.Variant()] = true
				picked = append(picked, t)
			}
		}
	}
	if len(picked) == 0 {
		return nil, fmt.Errorf("nothing to measure: every named system is unavailable here (see `agentic-eval vms doctor`)")
	}
	return picked, nil
}

// Match finds the drivers a name selects under Resolve's rule, or says the
// name is unknown and what is valid. It asks nothing of the host.
func Match(all []driver.Driver, name string) ([]driver.Driver, error) {
	arg := strings.TrimSpace(name)
	if arg == "" || strings.HasPrefix(arg, "-") {
		return nil, unknownName(name, nil)
	}
	var match []driver.Driver
	for _, d := range all {
		if strings.EqualFold(d.Variant(), arg) {
			match = append(match, d)
		}
	}
	if len(match) == 0 {
		for _, d := range all {
			if kind, part, ok := strings.Cut(d.Variant(), "/"); ok && kind != "k8s" && strings.EqualFold(part, arg) {
				match = append(match, d)
			}
		}
	}
	if len(match) == 0 && strings.EqualFold(arg, "k8s") {
		for _, d := range all {
			if strings.HasPrefix(d.Variant(), "k8s/") {
				match = append(match, d)
			}
		}
	}
	if len(match) == 0 {
		sys, err := vms.Parse(arg)
		var ue *vms.UnknownSystemError
		if errors.As(err, &ue) {
			return nil, unknownName(arg, ue)
		}
		if err != nil {
			return nil, &InputError{Field: "variants", Err: err}
		}
		for _, d := range all {
			if d.System() == sys {
				match = append(match, d)
			}
		}
	}
	return match, nil
}

func excluded(variant string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(variant, p) {
			return true
		}
	}
	return false
}

// fingerprint asks d about this host, within the fingerprint timeout.
func (a *App) fingerprint(ctx context.Context, d driver.Driver) driver.Fingerprint {
	fctx, cancel := context.WithTimeout(ctx, a.cfg.FingerprintTimeout)
	defer cancel()
	return d.Fingerprint(fctx)
}

// unknownName is the one error for a name no rule matches: what was
// given, every valid variant, every system, and the nearest spelling.
func unknownName(name string, ue *vms.UnknownSystemError) error {
	var systems []string
	for _, s := range vms.All() {
		systems = append(systems, s.Name())
	}
	msg := fmt.Sprintf("unknown variant or system %q: valid variants are %s; valid systems are %s (aliases accepted, e.g. fc, chv, runsc, kvm, runc)",
		name, strings.Join(Variants(), ", "), strings.Join(systems, ", "))
	if ue != nil && ue.Nearest != "" {
		msg += fmt.Sprintf("; did you mean %q?", ue.Nearest)
	}
	return &InputError{Field: "variants", Err: errors.New(msg)}
}

// UnavailableError refuses a named variant or system that cannot be
// measured here, with each variant's reason and fix.
type UnavailableError struct {
	Name    string
	Reasons []string
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("%s cannot be measured on this host: %s", e.Name, strings.Join(e.Reasons, "; "))
}
