//go:build !windows

package tokens

// noSuchAccount reports whether err, from user.Lookup, is an unknown
// name that os/user did not say so of: never here, where it returns a
// user.UnknownUserError itself.
func noSuchAccount(error) bool { return false }
