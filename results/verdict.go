package results

import (
	"fmt"
	"strings"
)

// EnvironmentFailure says in one line why the run as a whole failed for the
// host rather than measured it: a daemon became unreachable during the run,
// or every available variant failed for the environment (environment-class
// failures and no runtime-class one). "" when neither: a run whose only
// failures are the runtimes' own is a result.
func (r *Results) EnvironmentFailure() string {
	var vanished []string
	tried, envFailed := 0, 0
	var firstEnv string
	for _, v := range r.Systems {
		if !v.Fingerprint.Available {
			continue
		}
		tried++
		env, rt := 0, 0
		daemonGone := false
		for _, f := range v.Failures {
			if f.Phase == "teardown" {
				// Teardown after a vanished daemon fails too; it counts
				// for the daemon, not as a runtime result.
				if f.Unreachable {
					daemonGone = true
				}
				continue
			}
			switch f.Class.Of() {
			case ClassEnvironment:
				env++
				if firstEnv == "" {
					firstEnv = v.Variant + ": " + f.Cause
				}
				if f.Unreachable {
					daemonGone = true
				}
			case ClassRuntime:
				rt++
			}
		}
		if daemonGone {
			vanished = append(vanished, v.Variant)
		}
		if env > 0 && rt == 0 {
			envFailed++
		}
	}
	switch {
	case len(vanished) > 0:
		return fmt.Sprintf("the daemon of %s became unreachable during the run: its figures are incomplete", strings.Join(vanished, ", "))
	case tried > 0 && envFailed == tried:
		return fmt.Sprintf("every variant failed for the environment, not the runtime: its figures are incomplete (first: %s)", oneLine(firstEnv, 200))
	}
	return ""
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

// upgradeFailures migrates the failures of documents written before
// Failure.Unreachable existed, when a daemon's being unreachable was read
// from a failure's text: an environment-class failure (or a teardown
// failure, which EnvironmentFailure read whatever its class) without the
// field, whose recorded cause names an unreachable daemon, gets it set,
// so that an old document reads as it did. Documents of revision 2 and
// later carry the field from their error's type (driver.ErrUnreachable)
// and are not migrated: a cause's text decides nothing for them.
func upgradeFailures(r *Results) {
	if r.Revision >= 2 {
		return // written with the field: an absent one is false
	}
	for i := range r.Systems {
		fs := r.Systems[i].Failures
		for j := range fs {
			f := &fs[j]
			if !f.Unreachable && (f.Class == ClassEnvironment || f.Phase == "teardown") && causeNamesUnreachableDaemon(f.Cause) {
				f.Unreachable = true
			}
		}
	}
}

// oldUnreachableTexts are the texts by which documents written before
// Failure.Unreachable said a daemon was unreachable. Lower case.
var oldUnreachableTexts = []string{
	"cannot connect to the docker daemon",
	"is the docker daemon running",
	"connection refused",
}

// causeNamesUnreachableDaemon reports whether a cause recorded as text, in a
// document written before Failure.Unreachable existed, names an
// unreachable daemon: the migration of old documents (upgradeFailures)
// reads it. It classifies no new failure.
func causeNamesUnreachableDaemon(cause string) bool {
	c := strings.ToLower(cause)
	for _, t := range oldUnreachableTexts {
		if strings.Contains(c, t) {
			return true
		}
	}
	return false
}
