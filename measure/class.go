package measure

import (
	"context"
	"errors"
	"strings"
	"syscall"

	"github.com/agentic-eval/agentic-eval/results"

	"github.com/agentic-eval/agentic-eval/oci"
)

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
func Classify(err error) results.Class {
	if err == nil {
		return results.ClassRuntime
	}
	msg := strings.ToLower(err.Error())
	for _, e := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.ECONNREFUSED} {
		if errors.Is(err, e) {
			return results.ClassEnvironment
		}
	}
	if containsAny(msg, environmentStrong) {
		return results.ClassEnvironment
	}
	var oe *oci.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &oe) && oe.TimedOut) || containsAny(msg, timeoutText) {
		return results.ClassTimeout
	}
	for _, e := range environmentErrnos {
		if errors.Is(err, e) {
			return results.ClassEnvironment
		}
	}
	if containsAny(msg, environmentWeak) {
		return results.ClassEnvironment
	}
	return results.ClassRuntime
}

// ClassifyText classifies a recorded cause by its text alone, for causes
// kept as strings.
func ClassifyText(cause string) results.Class {
	if cause == "" {
		return results.ClassRuntime
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
