//go:build unix

package share

import (
	"os"
	"syscall"
)

// winchSignal is the signal a terminal's resize sends.
func winchSignal() os.Signal { return syscall.SIGWINCH }
