package tokens

import (
	"errors"

	"golang.org/x/sys/windows"
)

// noSuchAccount reports whether err, from user.Lookup, says that no
// account has the name: on Windows os/user passes LookupAccountName's
// ERROR_NONE_MAPPED through rather than a user.UnknownUserError.
func noSuchAccount(err error) bool { return errors.Is(err, windows.ERROR_NONE_MAPPED) }
