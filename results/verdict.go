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
				if DaemonUnreachable(f.Cause) {
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
				if DaemonUnreachable(f.Cause) {
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

// daemonUnreachable are the texts of a daemon that is gone.
var daemonUnreachable = []string{
	"cannot connect to the docker daemon",
	"is the docker daemon running",
	"connection refused",
}

// DaemonUnreachable reports whether a recorded cause says a daemon the
// runtime goes through could not be reached.
func DaemonUnreachable(cause string) bool {
	c := strings.ToLower(cause)
	for _, t := range daemonUnreachable {
		if strings.Contains(c, t) {
			return true
		}
	}
	return false
}
