//go:build !unix

package share

import "os"

// winchSignal: no resize signal here; sizes are polled.
func winchSignal() os.Signal { return nil }
