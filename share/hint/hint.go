package share

import "errors"

// HintError is an error with a known fix, shown to the user as a second
// "hint:" line.
type HintError struct {
	Err error
	Fix string
}

func (e *HintError) Error() string { return e.Err.Error() }
func (e *HintError) Unwrap() error { return e.Err }

// Hint returns the fix for the user.
func (e *HintError) Hint() string { return e.Fix }

// withHint wraps err with a hint for the user.
func withHint(err error, hint string) error {
	return &HintError{Err: err, Fix: hint}
}

// Hint returns the hint of the first error in err's chain that has one
// (any error with a Hint() string method), or "".
func Hint(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}
