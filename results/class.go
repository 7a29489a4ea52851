package results

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
