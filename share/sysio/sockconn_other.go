//go:build !linux

package sysio

import "net"

// ListenRaw is Listen: raw system calls are Linux's only (see
// sockconn_linux.go).
func ListenRaw(path string) (net.Listener, error) { return Listen(path) }
