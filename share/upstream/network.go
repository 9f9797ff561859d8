package upstream

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Network is how ssh would reach the host over TCP: the network keywords
// of `ssh -G`. The zero value is ssh's defaults but for IPQoS (zero leaves
// the type of service alone). It shapes TCP dials only: a Dialer with a
// Transport (a --via chain, a test) uses none of it.
type Network struct {
	// AddressFamily is "inet" or "inet6" to use only IPv4 or IPv6
	// addresses of the host; "" or "any" means both.
	AddressFamily string
	// BindAddress is the local address to connect from, as ssh binds it:
	// resolved in the family of each address tried.
	BindAddress string
	// BindInterface names the interface whose address to connect from.
	// Like ssh, this binds the interface's address (ssh's check_ifaddrs),
	// not the device; BindAddress wins when both are set.
	BindInterface string
	// ConnectionAttempts is how many times to try, one second apart;
	// below 1 means once.
	ConnectionAttempts int
	// NoTCPKeepAlive is `TCPKeepAlive no`: no keep-alive probes on the
	// socket. By default they are on, as ssh sets SO_KEEPALIVE.
	NoTCPKeepAlive bool
	// IPQoS is the type of service byte (IP_TOS, IPV6_TCLASS) for the
	// connection: IPQoS's interactive value. One connection carries every
	// client's sessions, terminals and bulk copies alike, so the master
	// marks it as ssh marks a connection with a terminal: a keystroke must
	// not queue behind a copy. 0 (none, cs0) leaves it alone.
	IPQoS int
	// RekeyBytes is RekeyLimit's data limit; 0 means x/crypto's default.
	RekeyBytes uint64
	// RekeyInterval is RekeyLimit's time limit. x/crypto rekeys on data
	// only, so it is not applied: the keyword table warns (keywords.go).
	RekeyInterval time.Duration
	// Compression is `Compression yes`, which x/crypto cannot do: the
	// keyword table warns.
	Compression bool
}

// networkKeywords are the `ssh -G` keywords Network.set reads.
var networkKeywords = []string{"addressfamily", "bindaddress", "bindinterface", "connectionattempts",
	"tcpkeepalive", "ipqos", "rekeylimit", "compression"}

// set applies one network keyword of ssh -G's output.
func (n *Network) set(key, value string) (err error) {
	switch key {
	case "addressfamily":
		n.AddressFamily, err = addressFamily(value)
	case "bindaddress":
		n.BindAddress = value
	case "bindinterface":
		n.BindInterface = value
	case "connectionattempts":
		n.ConnectionAttempts, err = strconv.Atoi(value)
	case "tcpkeepalive":
		n.NoTCPKeepAlive = no(value)
	case "ipqos":
		interactive, _, _ := strings.Cut(value, " ")
		n.IPQoS, err = parseIPQoS(interactive)
	case "rekeylimit":
		n.RekeyBytes, n.RekeyInterval, err = parseRekeyLimit(value)
	case "compression":
		n.Compression = yes(value)
	}
	return err
}

// addressFamily checks an AddressFamily value.
func addressFamily(v string) (string, error) {
	switch v {
	case "any", "inet", "inet6":
		return v, nil
	}
	return "", fmt.Errorf("unknown address family")
}

// ipqosNames are the names ssh prints for type of service values
// (OpenSSH misc.c), with the byte each stands for.
var ipqosNames = map[string]int{
	"none": 0, "cs0": 0x00, "cs1": 0x20, "cs2": 0x40, "cs3": 0x60,
	"cs4": 0x80, "cs5": 0xa0, "cs6": 0xc0, "cs7": 0xe0,
	"af11": 0x28, "af12": 0x30, "af13": 0x38, "af21": 0x48, "af22": 0x50, "af23": 0x58,
	"af31": 0x68, "af32": 0x70, "af33": 0x78, "af41": 0x88, "af42": 0x90, "af43": 0x98,
	"ef": 0xb8, "le": 0x04, "lowdelay": 0x10, "throughput": 0x08, "reliability": 0x04,
}

// parseIPQoS parses one IPQoS value as ssh prints it: a name, or the byte
// in hex ("0x2a").
func parseIPQoS(v string) (int, error) {
	if tos, ok := ipqosNames[strings.ToLower(v)]; ok {
		return tos, nil
	}
	tos, err := strconv.ParseInt(v, 0, 32)
	if err != nil || tos < 0 || tos > 255 {
		return 0, fmt.Errorf("not a type of service")
	}
	return int(tos), nil
}

// parseRekeyLimit parses ssh -G's "BYTES SECONDS" (0 for the defaults).
func parseRekeyLimit(v string) (uint64, time.Duration, error) {
	b, s, _ := strings.Cut(v, " ")
	bytes, err := strconv.ParseUint(b, 10, 64)
	if err != nil {
		return 0, 0, err
	}
	secs, err := seconds(strings.TrimSpace(s))
	if s == "" {
		secs, err = 0, nil
	}
	return bytes, secs, err
}
