// Package hint carries the fix for an error to the user: cmd/sshshare
// prints an error as one "sshshare: ..." line and, when the error knows
// the fix, a second "sshshare: hint: ..." line. Any error with a
// Hint() string method takes part; Error is the plain one.
package hint

import "errors"

// Error is an error with a known fix, shown to the user as a second
// "hint:" line.
type Error struct {
	Err error
	Fix string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Hint returns the fix for the user.
func (e *Error) Hint() string { return e.Fix }

// With wraps err with a hint for the user.
func With(err error, fix string) error {
	return &Error{Err: err, Fix: fix}
}

// Of returns the hint of the first error in err's chain that has one
// (any error with a Hint() string method), or "".
func Of(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}
