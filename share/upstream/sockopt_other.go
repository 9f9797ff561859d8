//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package upstream

import (
	"errors"
	"net/netip"
)

// bindSocket refuses: binding a local address is done for the platforms
// in sockopt_unix.go only.
func bindSocket(uintptr, netip.Addr) error {
	return errors.New("BindAddress and BindInterface are not supported on this platform")
}

// setTOS does nothing: the type of service is a hint to the network, and
// ssh's own default sets it, so a platform without it must not refuse it.
func setTOS(uintptr, bool, int) error { return nil }
