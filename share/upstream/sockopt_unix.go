//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package upstream

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// bindSocket binds the socket fd to local, port chosen by the system.
func bindSocket(fd uintptr, local netip.Addr) error {
	if local.Is4() {
		return unix.Bind(int(fd), &unix.SockaddrInet4{Addr: local.As4()})
	}
	return unix.Bind(int(fd), &unix.SockaddrInet6{Addr: local.As16()})
}

// setTOS sets the type of service byte (IPv4) or traffic class (IPv6).
func setTOS(fd uintptr, ipv6 bool, tos int) error {
	if ipv6 {
		return unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_TCLASS, tos)
	}
	return unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TOS, tos)
}
