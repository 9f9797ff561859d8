package upstream

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Target is the upstream a master serves: user@host:port, plus the host
// name as the user typed it (ssh's %n), which selects Host blocks in the
// user's ssh config.
type Target struct {
	User  string
	Host  string
	Port  int
	Alias string
}

// String formats the target as user@host:port.
func (t Target) String() string {
	return t.User + "@" + net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
}

// configHost is the name to look up in the ssh config: the alias if known.
func (t Target) configHost() string {
	if t.Alias != "" {
		return t.Alias
	}
	return t.Host
}

// ParseTarget parses [user@]host[:port]. A missing user or port is left
// empty (zero) for the ssh config to decide.
func ParseTarget(s string) (Target, error) {
	var t Target
	if i := strings.LastIndex(s, "@"); i >= 0 {
		t.User, s = s[:i], s[i+1:]
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = strings.Trim(s, "[]"), ""
	}
	t.Host = host
	if port != "" {
		if t.Port, err = ParsePort(port); err != nil {
			return t, err
		}
	}
	if t.Host == "" || strings.HasSuffix(s, "@") {
		return t, fmt.Errorf("target %q: want [user@]host[:port]", s)
	}
	return t, nil
}

// ParsePort parses a TCP port number.
func ParsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p <= 0 || p > 65535 {
		return 0, fmt.Errorf("bad port %q", s)
	}
	return p, nil
}

// ParseVia parses a --via chain "a,b,c" of [user@]host[:port] hops.
func ParseVia(s string) ([]Target, error) {
	var hops []Target
	for _, part := range strings.Split(s, ",") {
		t, err := ParseTarget(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("--via: %w", err)
		}
		hops = append(hops, t)
	}
	return hops, nil
}

// ParseJump parses a ProxyJump value as `ssh -G` prints it: a chain
// "a,b,c" of [user@]host[:port] or ssh://[user@]host[:port] hops, first hop
// first, as ssh connects them.
func ParseJump(s string) ([]Target, error) {
	var hops []Target
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if uri, ok := strings.CutPrefix(part, "ssh://"); ok {
			part = strings.TrimSuffix(uri, "/")
		}
		t, err := ParseTarget(part)
		if err != nil {
			return nil, fmt.Errorf("ProxyJump: %w", err)
		}
		hops = append(hops, t)
	}
	return hops, nil
}

// JoinVia formats hops back into a --via value, as ParseVia reads it.
func JoinVia(hops []Target) string {
	parts := make([]string, len(hops))
	for i, h := range hops {
		s := h.Host
		if h.Port != 0 {
			s = net.JoinHostPort(s, strconv.Itoa(h.Port))
		}
		if h.User != "" {
			s = h.User + "@" + s
		}
		parts[i] = s
	}
	return strings.Join(parts, ",")
}
