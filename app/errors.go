package app

import "fmt"

// InputError is a request the application refuses for what it asks, not
// for what the host did: the faces show it as a usage error (the CLI exits
// 2). Field names the input at fault, in the words of the request
// ("variants", "weights", "results"); the faces may rename it to their own
// (a flag, a JSON field).
type InputError struct {
	Field string
	Err   error
}

func (e *InputError) Error() string {
	if e.Field == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("%s: %v", e.Field, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

func inputf(field, format string, args ...any) error {
	return &InputError{Field: field, Err: fmt.Errorf(format, args...)}
}
