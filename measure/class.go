package measure

import (
	"context"
	"errors"
	"syscall"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/results"
)

// The rules of Classify, by type alone: a runtime's client types its
// failures where it reads the runtime's output (see package driver), and
// nothing here reads an error's text, so that a reworded message cannot
// change a score.
var (
	// strongErrnos are the host failing in a way that also explains a
	// timeout it caused: they win over one.
	strongErrnos = []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.ECONNREFUSED}
	// weakErrnos are the other errnos of the host failing (see
	// driver.EnvironmentErrnos): a timeout wins over them.
	weakErrnos = []syscall.Errno{syscall.EIO, syscall.EROFS, syscall.EMFILE, syscall.ENFILE}
)

// Classify is the class of a failure's error, found with errors.Is on its
// chain alone, first rule that holds:
//
//  1. environment: ENOSPC, EDQUOT or ECONNREFUSED, or driver.ErrUnreachable
//     (no space and an unreachable daemon are the cause of a timeout they
//     bring about, so they win over it);
//  2. timeout: context.DeadlineExceeded (a deadline ended it; a deadline
//     also kills the runtime's command, so it wins over a killed process);
//  3. environment: EIO, EROFS, EMFILE or ENFILE, driver.ErrKilled, or any
//     other driver.ErrEnvironment;
//  4. runtime: everything else, nil and driver.ErrCannot included.
func Classify(err error) results.Class {
	switch {
	case err == nil:
		return results.ClassRuntime
	case isAny(err, strongErrnos) || errors.Is(err, driver.ErrUnreachable):
		return results.ClassEnvironment
	case errors.Is(err, context.DeadlineExceeded):
		return results.ClassTimeout
	case isAny(err, weakErrnos) || errors.Is(err, driver.ErrEnvironment):
		return results.ClassEnvironment
	}
	return results.ClassRuntime
}

// isAny reports whether err is any of errnos.
func isAny(err error, errnos []syscall.Errno) bool {
	for _, e := range errnos {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
