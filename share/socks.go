package share

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"

	"golang.org/x/crypto/ssh"
)

// The SOCKS side of a dynamic forward (-D): a local program asks, in
// SOCKS4, SOCKS4a or SOCKS5 (RFC 1928, no authentication), for a
// connection to a host and port, and the master opens a direct-tcpip
// channel there. Only CONNECT is served, as ssh does. A name is passed
// to the server as it came, unresolved: the server resolves it, so names
// only it can resolve work and no lookup leaks locally. Unlike ssh, the
// master answers only once the server has opened the channel, so a
// refused connection is a SOCKS refusal rather than a closed socket.

// SOCKS protocol numbers.
const (
	socks4Version = 4
	socks5Version = 5
	socksConnect  = 1 // the CONNECT command, in both versions

	socks4Granted  = 90
	socks4Rejected = 91

	socks5NoAuth         = 0x00
	socks5NoMethod       = 0xff
	socks5Succeeded      = 0x00
	socks5GeneralFailure = 0x01
	socks5Refused        = 0x05
	socks5BadCommand     = 0x07
	socks5BadAddrType    = 0x08

	socks5IPv4   = 1
	socks5Domain = 3
	socks5IPv6   = 4
)

// socksMaxString bounds a SOCKS4 user id or SOCKS4a host name, which end
// at a NUL byte rather than carrying a length.
const socksMaxString = 255

// socksRequest is a client's CONNECT request: where to, and the version to
// answer in.
type socksRequest struct {
	version byte
	host    string
	port    uint16
}

// target is host:port for logs and errors.
func (r socksRequest) target() string {
	return net.JoinHostPort(r.host, strconv.Itoa(int(r.port)))
}

// readSocksRequest reads one CONNECT request from rw, negotiating SOCKS5's
// method on the way. A request that cannot be served (another command, an
// unknown address type, authentication required) is refused on rw and
// returned as an error. It reads exactly the request's bytes, so nothing
// the client sends after it is lost.
func readSocksRequest(rw io.ReadWriter) (socksRequest, error) {
	var version [1]byte
	if _, err := io.ReadFull(rw, version[:]); err != nil {
		return socksRequest{}, fmt.Errorf("read socks version: %w", err)
	}
	switch version[0] {
	case socks4Version:
		return readSocks4(rw)
	case socks5Version:
		return readSocks5(rw)
	}
	return socksRequest{}, fmt.Errorf("unknown socks version %d", version[0])
}

// readSocks4 reads a SOCKS4 or SOCKS4a request after its version byte.
func readSocks4(rw io.ReadWriter) (socksRequest, error) {
	req := socksRequest{version: socks4Version}
	var head [7]byte // command, port, IPv4 address
	if _, err := io.ReadFull(rw, head[:]); err != nil {
		return req, fmt.Errorf("read socks4 request: %w", err)
	}
	if _, err := readNulString(rw); err != nil { // the user id, unused
		return req, fmt.Errorf("read socks4 user id: %w", err)
	}
	req.port = binary.BigEndian.Uint16(head[1:3])
	ip := net.IP(head[3:7])
	req.host = ip.String()
	if ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] != 0 {
		// SOCKS4a: 0.0.0.x, x not 0, says a host name follows.
		name, err := readNulString(rw)
		if err != nil {
			return req, fmt.Errorf("read socks4a host name: %w", err)
		}
		req.host = name
	}
	if head[0] != socksConnect {
		req.answer(rw, errors.New("refused"))
		return req, fmt.Errorf("socks4 command %d not supported", head[0])
	}
	return req, nil
}

// readNulString reads a NUL-terminated string of at most socksMaxString
// bytes, byte by byte so as not to read past it.
func readNulString(r io.Reader) (string, error) {
	var s []byte
	var b [1]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", err
		}
		if b[0] == 0 {
			return string(s), nil
		}
		if len(s) == socksMaxString {
			return "", fmt.Errorf("string longer than %d bytes", socksMaxString)
		}
		s = append(s, b[0])
	}
}

// readSocks5 negotiates the method (no authentication only) and reads a
// SOCKS5 request, after the greeting's version byte.
func readSocks5(rw io.ReadWriter) (socksRequest, error) {
	req := socksRequest{version: socks5Version}
	methods, err := readLengthPrefixed(rw)
	if err != nil {
		return req, fmt.Errorf("read socks5 methods: %w", err)
	}
	if !slices.Contains(methods, socks5NoAuth) {
		rw.Write([]byte{socks5Version, socks5NoMethod})
		return req, errors.New("socks5 client offers no method without authentication")
	}
	if _, err := rw.Write([]byte{socks5Version, socks5NoAuth}); err != nil {
		return req, fmt.Errorf("write socks5 method: %w", err)
	}
	var head [4]byte // version, command, reserved, address type
	if _, err := io.ReadFull(rw, head[:]); err != nil {
		return req, fmt.Errorf("read socks5 request: %w", err)
	}
	if head[0] != socks5Version {
		return req, fmt.Errorf("socks5 request of version %d", head[0])
	}
	if req.host, err = readSocks5Addr(rw, head[3]); err != nil {
		if errors.Is(err, errSocksAddrType) {
			socks5Reply(rw, socks5BadAddrType)
		}
		return req, err
	}
	var port [2]byte
	if _, err := io.ReadFull(rw, port[:]); err != nil {
		return req, fmt.Errorf("read socks5 port: %w", err)
	}
	req.port = binary.BigEndian.Uint16(port[:])
	if head[1] != socksConnect {
		socks5Reply(rw, socks5BadCommand)
		return req, fmt.Errorf("socks5 command %d not supported", head[1])
	}
	return req, nil
}

// errSocksAddrType is a SOCKS5 address type other than IPv4, IPv6 and a
// domain name.
var errSocksAddrType = errors.New("unknown socks5 address type")

// readSocks5Addr reads a SOCKS5 address of type typ.
func readSocks5Addr(r io.Reader, typ byte) (string, error) {
	switch typ {
	case socks5IPv4, socks5IPv6:
		ip := make(net.IP, net.IPv4len)
		if typ == socks5IPv6 {
			ip = make(net.IP, net.IPv6len)
		}
		if _, err := io.ReadFull(r, ip); err != nil {
			return "", fmt.Errorf("read socks5 address: %w", err)
		}
		return ip.String(), nil
	case socks5Domain:
		name, err := readLengthPrefixed(r)
		if err != nil {
			return "", fmt.Errorf("read socks5 host name: %w", err)
		}
		return string(name), nil
	}
	return "", fmt.Errorf("%w %d", errSocksAddrType, typ)
}

// readLengthPrefixed reads a byte count and that many bytes.
func readLengthPrefixed(r io.Reader) ([]byte, error) {
	var n [1]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	b := make([]byte, n[0])
	_, err := io.ReadFull(r, b)
	return b, err
}

// answer tells the client whether its connection was made: err is the
// channel open's failure, or nil.
func (r socksRequest) answer(w io.Writer, err error) error {
	if r.version == socks4Version {
		code := byte(socks4Granted)
		if err != nil {
			code = socks4Rejected
		}
		// Version 0 of the reply, then the code; port and address unused.
		_, werr := w.Write([]byte{0, code, 0, 0, 0, 0, 0, 0})
		return werr
	}
	var oe *ssh.OpenChannelError
	switch {
	case err == nil:
		return socks5Reply(w, socks5Succeeded)
	case errors.As(err, &oe) && oe.Reason == ssh.ConnectionFailed:
		return socks5Reply(w, socks5Refused)
	}
	return socks5Reply(w, socks5GeneralFailure)
}

// socks5Reply writes a SOCKS5 reply with the bound address left empty
// (0.0.0.0:0): the channel has no local address to give.
func socks5Reply(w io.Writer, code byte) error {
	_, err := w.Write([]byte{socks5Version, code, 0, socks5IPv4, 0, 0, 0, 0, 0, 0})
	return err
}
