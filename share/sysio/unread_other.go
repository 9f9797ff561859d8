//go:build !linux && !darwin

package sysio

import "net"

// Unread returns nil here: Windows masters have no mux door, and their
// named pipes are not asked.
func Unread(net.Conn) func() int { return nil }
