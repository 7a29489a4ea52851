package measure

import (
	"context"
	"errors"
	"strings"
	"syscall"

	"github.com/agentic-eval/agentic-eval/oci"
)

// Class says whose fault a failure is, which decides what it means for the
// scores.
type Class string

// The failure classes.
const (
	// ClassRuntime: this runtime cannot do it on this host. The failure is
	// a result and is scored.
	ClassRuntime Class = "runtime"
	// ClassEnvironment: the host got in the way (no space left, a daemon
	// unreachable, a process killed from outside, a file system error). It
	// says nothing about the runtime and is not scored.
	ClassEnvironment Class = "environment"
	// ClassTimeout: an operation's deadline ended it. Not scored.
	ClassTimeout Class = "timeout"
)

// Scored reports whether a failure of class c is a measured result. The
// empty class (documents written before classes existed) is runtime.
func (c Class) Scored() bool { return c == "" || c == ClassRuntime }

// Of is c, with the empty class of older documents read as runtime.
func (c Class) Of() Class {
	if c == "" {
		return ClassRuntime
	}
	return c
}

// environmentErrnos are errnos that say the host, not the runtime, failed.
var environmentErrnos = []syscall.Errno{
	syscall.ENOSPC, syscall.EDQUOT, syscall.EIO, syscall.EROFS,
	syscall.EMFILE, syscall.ENFILE, syscall.ECONNREFUSED,
}

// Patterns in the text of runtimes that only print their errors. Lower case.
var (
	environmentStrong = []string{
		"no space left on device",
		"disk quota exceeded",
		"cannot connect to the docker daemon",
		"is the docker daemon running",
		"connection refused",
		"read-only file system",
		"input/output error",
		"too many open files",
	}
	timeoutText = []string{
		"context deadline exceeded",
		"operation timed out",
		"(timed out)",
	}
	environmentWeak = []string{
		"signal: killed",
		"terminating on signal",
	}
)

// Classify is the class of a failure's error: environment when anything in
// its chain or its text says the host got in the way, timeout when a
// deadline ended it, runtime otherwise. No space and an unreachable daemon
// win over a timeout (they are the cause of it); a timeout wins over a
// killed process (a deadline kills the runtime's command). nil is runtime.
func Classify(err error) Class {
	if err == nil {
		return ClassRuntime
	}
	msg := strings.ToLower(err.Error())
	for _, e := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.ECONNREFUSED} {
		if errors.Is(err, e) {
			return ClassEnvironment
		}
	}
	if containsAny(msg, environmentStrong) {
		return ClassEnvironment
	}
	var oe *oci.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &oe) && oe.TimedOut) || containsAny(msg, timeoutText) {
		return ClassTimeout
	}
	for _, e := range environmentErrnos {
		if errors.Is(err, e) {
			return ClassEnvironment
		}
	}
	if containsAny(msg, environmentWeak) {
		return ClassEnvironment
	}
	return ClassRuntime
}

// ClassifyText classifies a recorded cause by its text alone, for causes
// kept as strings.
func ClassifyText(cause string) Class {
	if cause == "" {
		return ClassRuntime
	}
	return Classify(errors.New(cause))
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
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
	return containsAny(strings.ToLower(cause), daemonUnreachable)
}
