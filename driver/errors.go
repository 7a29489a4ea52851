package driver

import (
	"errors"
	"os/exec"
	"strings"
	"syscall"
)

// The kinds of failure. A driver returns errors that wrap one of these
// (through Cannot, Environment, Unreachable or Killed, or a runtime
// client's own error type that unwraps to one) wherever it knows which it
// is; the harness classifies a failure with errors.Is, never by its text,
// so that a reworded message cannot change a score. A deadline is the
// standard library's context.DeadlineExceeded; the errnos of the host
// failing (syscall.ENOSPC and its kin) count as environment wherever they
// appear in an error's chain.
var (
	// ErrCannot: this runtime cannot do it on this host. A result, and
	// scored; so is any failure of no other kind.
	ErrCannot = errors.New("the runtime cannot do it here")
	// ErrEnvironment: the host got in the way (no space, a file system
	// error, a daemon unreachable, a process killed from outside). It says
	// nothing about the runtime and is not scored.
	ErrEnvironment = errors.New("the environment failed")
	// ErrUnreachable: a daemon the runtime goes through could not be
	// reached. An environment failure.
	ErrUnreachable error = &kind{"a daemon could not be reached", ErrEnvironment}
	// ErrKilled: a process of the runtime was killed by a signal it did
	// not ask for. An environment failure, unless a deadline killed it:
	// then it is a timeout.
	ErrKilled error = &kind{"killed by a signal", ErrEnvironment}
)

// kind is a failure kind that is also a more general one.
type kind struct {
	msg    string
	parent error
}

func (k *kind) Error() string { return k.msg }
func (k *kind) Unwrap() error { return k.parent }

// Cannot marks err as this runtime being unable to do it here.
func Cannot(err error) error { return mark(err, ErrCannot) }

// Environment marks err as the host getting in the way.
func Environment(err error) error { return mark(err, ErrEnvironment) }

// Unreachable marks err as a daemon that could not be reached.
func Unreachable(err error) error { return mark(err, ErrUnreachable) }

// Killed marks err as a runtime process killed by a signal.
func Killed(err error) error { return mark(err, ErrKilled) }

// marked is an error with its kind: its message is the error's own.
type marked struct{ err, kind error }

func (m *marked) Error() string   { return m.err.Error() }
func (m *marked) Unwrap() []error { return []error{m.err, m.kind} }

func mark(err, k error) error {
	if err == nil || errors.Is(err, k) {
		return err
	}
	return &marked{err, k}
}

// EnvironmentErrnos are the errnos that say the host, not the runtime,
// failed.
var EnvironmentErrnos = []syscall.Errno{
	syscall.ENOSPC, syscall.EDQUOT, syscall.EIO, syscall.EROFS,
	syscall.EMFILE, syscall.ENFILE, syscall.ECONNREFUSED,
}

// PrintedErrno finds, in what a runtime printed (a CLI runtime's stderr, a
// daemon's error message, a VMM's log), the C library's text of one of
// EnvironmentErrnos ("No space left on device"), and returns that errno:
// the runtime's client wraps it into the error it returns, so that the
// failure is typed where the text is read, at the runtime's boundary.
func PrintedErrno(printed string) (syscall.Errno, bool) {
	p := strings.ToLower(printed)
	for _, e := range EnvironmentErrnos {
		if strings.Contains(p, strings.ToLower(e.Error())) {
			return e, true
		}
	}
	return 0, false
}

// Printed types err by what a runtime printed (its stderr, a daemon's
// message, a VMM's log): the result is err, with err's message, that is
// also each of PrintedKinds(printed); err itself when there are none.
func Printed(err error, printed string) error {
	if err == nil {
		return nil
	}
	for _, k := range PrintedKinds(printed) {
		err = mark(err, k)
	}
	return err
}

// PrintedKinds are the kinds of failure that what a runtime printed names:
// the errno of PrintedErrno, and with ECONNREFUSED ("connection refused")
// ErrUnreachable too, since a refused connection is a daemon the runtime
// goes through that could not be reached. None when it names no errno.
func PrintedKinds(printed string) []error {
	errno, ok := PrintedErrno(printed)
	switch {
	case !ok:
		return nil
	case errno == syscall.ECONNREFUSED:
		return []error{errno, ErrUnreachable}
	}
	return []error{errno}
}

// KilledFromOutside reports whether err, anywhere in its chain, is a
// process that a signal from outside ended (SIGKILL, SIGTERM, SIGINT,
// SIGHUP: the OOM killer, an operator, a supervisor, a cancelled command):
// not an exit, and not a fault of its own (SIGSEGV, SIGABRT and their
// kin), which is the runtime failing. A runtime's client marks such an
// error with Killed.
func KilledFromOutside(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ProcessState == nil {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return false
	}
	switch ws.Signal() {
	case syscall.SIGKILL, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP:
		return true
	}
	return false
}
