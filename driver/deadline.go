package driver

import (
	"context"
	"errors"
)

// TimedOut marks err as a timeout when ctx's deadline passed: the result
// is errors.Is context.DeadlineExceeded, and says "(operation timed out)",
// whatever the runtime made of its cancelled call.
func TimedOut(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() == context.DeadlineExceeded && !errors.Is(err, context.DeadlineExceeded) {
		return &timedOut{err}
	}
	return err
}

// timedOut is an error that a deadline caused.
type timedOut struct{ err error }

func (e *timedOut) Error() string { return e.err.Error() + " (operation timed out)" }

func (e *timedOut) Unwrap() []error { return []error{e.err, context.DeadlineExceeded} }
