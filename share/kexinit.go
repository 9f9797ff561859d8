package share

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// The local hop's algorithms are picked per client from its first key
// exchange message (KEXINIT), which OpenSSH sends right after the version
// lines without waiting for the server's. x/crypto's server sends its own
// KEXINIT before reading the client's, and the client then picks the first
// of its own preferences that the server offers; OpenSSH prefers
// curve25519 and ed25519, which it computes with its bundled reference
// code, several milliseconds per connection that OpenSSL's P-256 saves.
// So the master reads the client's KEXINIT first and offers only P-256
// when the client lists it, and the usual algorithms when it does not.

const (
	kexFast = "ecdh-sha2-nistp256"

	msgKexInit = 20
	// maxKexInitPacket bounds the packet read ahead; RFC 4253 requires
	// implementations to handle 35000-byte packets.
	maxKexInitPacket = 35000
	// maxVersionLine is RFC 4253's limit on the version line, CR LF included.
	maxVersionLine = 255
	// kexInitWait bounds how long the master waits for the client's KEXINIT
	// before offering the usual algorithms, for a client that waits for the
	// server's first.
	kexInitWait = time.Second
)

// clientOffer is what a local client's KEXINIT lists (the client-to-server
// lists, for ciphers and MACs). An empty offer means it was not read.
type clientOffer struct {
	kex      []string
	hostKeys []string
	ciphers  []string
	macs     []string
}

// fastKex reports whether the client takes ECDH on P-256.
func (o clientOffer) fastKex() bool { return slices.Contains(o.kex, kexFast) }

// readAhead writes the server's version line and reads the client's
// version line and KEXINIT packet. It returns what the client offered and
// a conn that replays the bytes read to the SSH server and drops the
// server's own version line, which has gone already. On a read error or
// timeout it returns an empty offer with whatever was read, and the SSH
// handshake meets the error itself.
func readAhead(conn net.Conn, version string) (net.Conn, clientOffer) {
	line := []byte(version + "\r\n")
	ahead := &aheadConn{Conn: conn, sent: line}
	if _, err := conn.Write(line); err != nil {
		return ahead, clientOffer{}
	}
	conn.SetReadDeadline(time.Now().Add(kexInitWait))
	defer conn.SetReadDeadline(time.Time{})
	var buf []byte
	chunk := make([]byte, 4096)
	for {
		if offer, done := parseKexInit(buf); done {
			ahead.pending = buf
			return ahead, offer
		}
		n, err := conn.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if err != nil {
			ahead.pending = buf
			return ahead, clientOffer{}
		}
	}
}

// parseKexInit parses a client's version line and first packet from the
// start of b. done is false while more bytes are needed; when b cannot be
// a version line and KEXINIT, done is true with an empty offer.
func parseKexInit(b []byte) (offer clientOffer, done bool) {
	eol := bytes.IndexByte(b, '\n')
	if eol < 0 {
		return offer, len(b) >= maxVersionLine
	}
	if eol >= maxVersionLine || !bytes.HasPrefix(b, []byte("SSH-2.0-")) {
		return offer, true
	}
	packet := b[eol+1:]
	if len(packet) < 4 {
		return offer, false
	}
	length := binary.BigEndian.Uint32(packet)
	if length < 1+1+16 || length > maxKexInitPacket {
		return offer, true
	}
	if len(packet) < 4+int(length) {
		return offer, false
	}
	body := packet[4 : 4+length]
	end := len(body) - int(body[0]) // the padding follows the payload
	if end < 1+1+16 || body[1] != msgKexInit {
		return offer, true
	}
	lists := body[1+1+16 : end]
	var names [5][]string // kex, host keys, ciphers and MACs each way
	for i := range names {
		var err error
		if names[i], lists, err = nameList(lists); err != nil {
			return clientOffer{}, true
		}
	}
	return clientOffer{kex: names[0], hostKeys: names[1], ciphers: names[2], macs: names[4]}, true
}

// nameList reads one SSH name-list from the front of b.
func nameList(b []byte) ([]string, []byte, error) {
	if len(b) < 4 {
		return nil, nil, errShortKexInit
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, nil, errShortKexInit
	}
	return strings.Split(string(b[4:4+n]), ","), b[4+n:], nil
}

var errShortKexInit = errors.New("short KEXINIT")

// aheadConn hands the SSH server the bytes readAhead consumed and keeps it
// from sending the version line a second time.
type aheadConn struct {
	net.Conn
	pending []byte // read ahead, returned before the conn's own bytes
	sent    []byte // the version line already written, dropped once
}

func (c *aheadConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

func (c *aheadConn) Write(p []byte) (int, error) {
	if c.sent != nil {
		if !bytes.Equal(p, c.sent) {
			return 0, errors.New("local handshake: server version line changed")
		}
		c.sent = nil
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// localHopCiphers are what the local hop offers: AES-GCM only. The client
// picks the first cipher of its own list that the server offers, and
// OpenSSH lists chacha20-poly1305 first; with AES-NI on both sides, GCM
// costs a fraction of the CPU per byte, and the local hop is pure overhead.
var localHopCiphers = []string{"aes128-gcm@openssh.com", "aes256-gcm@openssh.com"}

// localHopKex is the key exchange offered to a client without P-256.
var localHopKex = []string{"curve25519-sha256", "curve25519-sha256@libssh.org", kexFast}

// localConfig offers a client the fastest key exchange it takes, hostKey
// (see localhop.Keys.For), and the local hop's ciphers. A client whose own
// lists (the user's Ciphers, KexAlgorithms or MACs) leave all of those out
// is offered everything x/crypto implements instead (see anyOf), so the
// local hop never fails to negotiate.
func localConfig(hostKey ssh.Signer, offer clientOffer) *ssh.ServerConfig {
	cfg := &ssh.ServerConfig{ServerVersion: localVersion}
	all, insecure := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	cfg.Ciphers = anyOf(localHopCiphers, offer.ciphers, all.Ciphers, insecure.Ciphers)
	cfg.KeyExchanges = anyOf(localHopKex, offer.kex, all.KeyExchanges, insecure.KeyExchanges)
	if offer.fastKex() {
		cfg.KeyExchanges = []string{kexFast}
	}
	cfg.MACs = anyOf(all.MACs, offer.macs, insecure.MACs)
	cfg.AddHostKey(hostKey)
	return cfg
}

// anyOf is preferred when the client takes one of them, or when its offer
// was not read; otherwise every algorithm of the lists, the preferred ones
// first. The local hop runs on the user's own pipes and socket, never on a
// network, so its algorithms matter for speed and for agreeing with the
// client's policy, not for secrecy: insecure ones are offered too when the
// client asks for nothing else.
func anyOf(preferred, offered []string, more ...[]string) []string {
	if len(offered) == 0 || slices.ContainsFunc(preferred, func(a string) bool { return slices.Contains(offered, a) }) {
		return slices.Clone(preferred)
	}
	out := slices.Clone(preferred)
	for _, list := range more {
		for _, a := range list {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}
