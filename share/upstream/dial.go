package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// connectRetryWait is the pause between connection attempts, ssh's.
const connectRetryWait = time.Second

// dial connects to host:port over TCP as ssh would with n: up to
// ConnectionAttempts tries one second apart, each bounded by timeout (as
// ssh bounds each), in the address family, from the local address and
// with the socket options the config asks for.
func (n Network) dial(ctx context.Context, host string, port int, timeout time.Duration) (net.Conn, error) {
	attempts := max(n.ConnectionAttempts, 1)
	var err error
	for attempt := range attempts {
		if attempt > 0 {
			if err := sleepCtx(ctx, connectRetryWait); err != nil {
				return nil, err
			}
		}
		var conn net.Conn
		conn, err = n.dialOnce(ctx, host, port, timeout)
		if err == nil || unresolvable(err) || ctx.Err() != nil {
			return conn, err
		}
	}
	return nil, err
}

// dialOnce is one connection attempt.
func (n Network) dialOnce(ctx context.Context, host string, port int, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := net.Dialer{ControlContext: n.control}
	if n.NoTCPKeepAlive {
		d.KeepAlive = -1
	}
	conn, err := d.DialContext(ctx, n.network(), net.JoinHostPort(host, strconv.Itoa(port)))
	if unresolvable(err) && n.AddressFamily != "" && n.AddressFamily != "any" {
		return nil, fmt.Errorf("could not resolve hostname %s (AddressFamily %s): %w", host, n.AddressFamily, err)
	}
	if unresolvable(err) {
		return nil, fmt.Errorf("could not resolve hostname %s: %w", host, err)
	}
	return conn, err
}

// network is the Go network name for the AddressFamily.
func (n Network) network() string {
	switch n.AddressFamily {
	case "inet":
		return "tcp4"
	case "inet6":
		return "tcp6"
	}
	return "tcp"
}

// unresolvable reports whether err is a failure to find an address of the
// host (in the family asked for): trying again would not help, and ssh
// does not.
func unresolvable(err error) bool {
	var dns *net.DNSError
	var addr *net.AddrError
	return errors.As(err, &dns) || errors.As(err, &addr)
}

// control prepares each socket before it connects: bound to BindAddress
// or BindInterface's address in the socket's family, with IPQoS set.
func (n Network) control(ctx context.Context, network, _ string, rc syscall.RawConn) error {
	local, err := n.localAddr(ctx, network)
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		if local.IsValid() {
			if serr = bindSocket(fd, local); serr != nil {
				serr = fmt.Errorf("bind %s: %w", local, serr)
				return
			}
		}
		if n.IPQoS != 0 {
			// ssh logs a failure here and connects anyway: the mark
			// is a hint to the network.
			_ = setTOS(fd, network == "tcp6", n.IPQoS)
		}
	})
	return errors.Join(err, serr)
}

// localAddr is the address to connect from for a socket of network
// (tcp4 or tcp6), or the zero Addr for any.
func (n Network) localAddr(ctx context.Context, network string) (netip.Addr, error) {
	want6 := network == "tcp6"
	switch {
	case n.BindAddress != "":
		return resolveBind(ctx, n.BindAddress, want6)
	case n.BindInterface != "":
		return interfaceAddr(n.BindInterface, want6)
	}
	return netip.Addr{}, nil
}

// resolveBind resolves BindAddress in one family, as ssh's getaddrinfo
// with the family of the address it connects to.
func resolveBind(ctx context.Context, name string, want6 bool) (netip.Addr, error) {
	family := "ip4"
	if want6 {
		family = "ip6"
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, family, name)
	if err != nil || len(ips) == 0 {
		// %v, not %w: this is not the host failing to resolve.
		return netip.Addr{}, fmt.Errorf("BindAddress %s: no %s address: %v", name, family, err)
	}
	return ips[0].Unmap(), nil
}

// interfaceAddr picks the address of interface name in one family as
// ssh's check_ifaddrs does: loopback and link-local addresses only for a
// loopback interface.
func interfaceAddr(name string, want6 bool) (netip.Addr, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("BindInterface %s: %w", name, err)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("BindInterface %s: %w", name, err)
	}
	allowLocal := ifi.Flags&net.FlagLoopback != 0
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if ip.Is6() != want6 || (!allowLocal && (ip.IsLoopback() || ip.IsLinkLocalUnicast())) {
			continue
		}
		return ip, nil
	}
	return netip.Addr{}, fmt.Errorf("BindInterface %s: no suitable addresses", name)
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
