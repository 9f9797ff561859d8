//go:build !linux && !darwin

package sysio

import "net"

// Unread returns nil: FIONREAD is asked on Linux and Darwin only.
func Unread(net.Conn) func() int { return nil }
