package upstream

import (
	"bytes"
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/ssh"
)

// Destination-constrained agent keys (`ssh-add -h`, OpenSSH 8.9+) sign
// only on a connection that told the agent which server it is talking
// to: before its first signature ssh sends the agent
// session-bind@openssh.com with the server's host key, the session
// identifier and the server's signature over it, which the agent checks.
// x/crypto keeps the server's signature to itself, so kexSniffer reads it
// from the server's key exchange reply, which travels in the clear before
// the first NEWKEYS; the session identifier is the first field of the
// data a key is asked to sign. Without a binding a constrained key refuses
// to sign, and declines.

// kexSniffer watches the bytes a server sends until its first NEWKEYS and
// keeps the host key and signature of its key exchange reply.
type kexSniffer struct {
	net.Conn
	done    atomic.Bool // NEWKEYS seen (or given up): reads pass straight through
	mu      sync.Mutex
	buf     []byte
	version bool // the version line has been read
	hostKey []byte
	sig     []byte
}

// maxSniff bounds what the sniffer keeps before giving up: the packets
// before NEWKEYS are a KEXINIT and a reply, a few KiB (post-quantum key
// exchanges included).
const maxSniff = 256 << 10

// SSH message numbers of the first key exchange.
const (
	msgNewKeys    = 21
	msgKexReply   = 31 // KEXDH_REPLY, KEX_ECDH_REPLY, hybrid replies; KEX_DH_GEX_GROUP in group exchange
	msgKexGEXRply = 33
)

// Read reads from the connection, watching the bytes until NEWKEYS.
func (s *kexSniffer) Read(p []byte) (int, error) {
	n, err := s.Conn.Read(p)
	if n > 0 && !s.done.Load() {
		s.mu.Lock()
		s.feed(p[:n])
		s.mu.Unlock()
	}
	return n, err
}

// feed takes the next bytes from the server.
func (s *kexSniffer) feed(b []byte) {
	s.buf = append(s.buf, b...)
	if len(s.buf) > maxSniff {
		s.stop()
		return
	}
	for !s.version {
		i := bytes.IndexByte(s.buf, '\n')
		if i < 0 {
			return
		}
		s.version = bytes.HasPrefix(s.buf, []byte("SSH-"))
		s.buf = s.buf[i+1:]
	}
	for len(s.buf) >= 5 {
		size := int(binary.BigEndian.Uint32(s.buf))
		if size < 2 || size > maxSniff {
			s.stop()
			return
		}
		if len(s.buf) < 4+size {
			return
		}
		pad := int(s.buf[4])
		if pad >= size {
			s.stop()
			return
		}
		payload := s.buf[5 : 4+size-pad]
		s.buf = s.buf[4+size:]
		s.packet(payload)
		if s.done.Load() {
			return
		}
	}
}

// packet looks at one cleartext packet's payload.
func (s *kexSniffer) packet(payload []byte) {
	if len(payload) == 0 {
		return
	}
	switch payload[0] {
	case msgNewKeys:
		s.stop()
	case msgKexReply, msgKexGEXRply:
		if r, ok := parseKexReply(payload[1:]); ok {
			s.hostKey, s.sig = r.HostKey, r.Sig
		}
	}
}

// kexReply is the part of a key exchange reply the binding needs.
type kexReply struct {
	HostKey []byte
	Public  []byte // the server's ephemeral key (Q_S) or f: both length-prefixed
	Sig     []byte
	Rest    []byte `ssh:"rest"`
}

// parseKexReply parses a reply's fields; a group exchange's GROUP
// message, which shares the number, does not start with a host key.
func parseKexReply(b []byte) (kexReply, bool) {
	var r kexReply
	if err := ssh.Unmarshal(b, &r); err != nil {
		return r, false
	}
	if _, err := ssh.ParsePublicKey(r.HostKey); err != nil {
		return r, false
	}
	return r, true
}

// stop ends the watching and frees the buffer.
func (s *kexSniffer) stop() {
	s.done.Store(true)
	s.buf = nil
}

// binding returns the host key and signature of the first key exchange.
func (s *kexSniffer) binding() (hostKey, sig []byte, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hostKey, s.sig, s.hostKey != nil
}

// bindSession binds the agent connection to this login's session before
// an agent key signs, once, as ssh does. data is what the key is asked to
// sign: it starts with the session identifier. An agent without the
// extension, or a binding it refuses, leaves constrained keys to decline.
func (k *keyring) bindSession(data []byte) {
	if k.bound || k.agent == nil || k.kex == nil {
		return
	}
	k.bound = true
	hostKey, sig, ok := k.kex.binding()
	if !ok || len(data) < 4 {
		return
	}
	n := binary.BigEndian.Uint32(data)
	if uint64(n) > uint64(len(data)-4) {
		return
	}
	msg := ssh.Marshal(struct {
		HostKey    []byte
		SessionID  []byte
		Sig        []byte
		Forwarding bool
	}{hostKey, data[4 : 4+n], sig, false})
	if _, err := k.agent.Extension("session-bind@openssh.com", msg); err != nil {
		k.log.Debug("agent session-bind", "err", err)
	}
}
