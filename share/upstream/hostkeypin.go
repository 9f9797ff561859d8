package upstream

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"github.com/sshshare/sshshare/share/hint"
	"golang.org/x/crypto/ssh"
)

// HostKeyPin is the host key a master's first login accepted, kept in
// memory for the master's life. Every later login of that master (a heal,
// a pooled connection) and every key re-exchange must present the same
// key, whatever StrictHostKeyChecking says: with `no`, or with a
// UserKnownHostsFile of /dev/null, nothing else would stop a heal from
// logging in to another server that took over the address. A host
// certificate is pinned by the key it certifies, so a renewed certificate
// still matches.
//
// A later login offers the pinned key's algorithms first (see first): the
// server then shows the pinned key even if known_hosts has gained another
// type of key for the host since, which would otherwise come first and
// fail the pin although the server is the same.
type HostKeyPin struct {
	mu  sync.Mutex
	key ssh.PublicKey // nil until the first accepted key
	typ string        // the type the server showed: a certificate's, or the key's
}

// pinnedKey is the key a pin compares: a certificate's own key.
func pinnedKey(key ssh.PublicKey) ssh.PublicKey {
	if cert, ok := key.(*ssh.Certificate); ok {
		return cert.Key
	}
	return key
}

// check refuses key if another one is pinned; a nil pin accepts all.
func (p *HostKeyPin) check(name string, key ssh.PublicKey) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	pinned := p.key
	p.mu.Unlock()
	if pinned == nil {
		return nil
	}
	return sameHostKey(name, pinned, key, "since this master logged in")
}

// sameHostKey refuses now unless it is (or certifies) the key was; since
// says when was was accepted.
func sameHostKey(name string, was, now ssh.PublicKey, since string) error {
	was, got := pinnedKey(was), pinnedKey(now)
	if bytes.Equal(was.Marshal(), got.Marshal()) {
		return nil
	}
	err := fmt.Errorf("host key for %s changed %s (now %s %s, was %s %s): refusing to log in, someone could be eavesdropping or the address was recycled",
		knownHostsPattern(name), since, got.Type(), ssh.FingerprintSHA256(got), was.Type(), ssh.FingerprintSHA256(was))
	return hint.With(&HostKeyError{Host: name, Changed: true, err: err},
		"if the host was really replaced, the next ssh starts a new master, which checks the new key against known_hosts as ssh does")
}

// keep pins key if nothing is pinned yet; it returns nil so a callback can
// end with it.
func (p *HostKeyPin) keep(key ssh.PublicKey) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key == nil {
		p.key = pinnedKey(key)
		p.typ = key.Type()
	}
	return nil
}

// first moves the host key algorithms of order that show the pinned key to
// the front: those of the type the first login saw (a certificate's, then
// the plain key's), each part in order's order, then the rest as order
// has them. Nothing is added: order is what the config allows. As ssh,
// which on a re-exchange takes only the connection's host key, the master
// asks for the one key it will accept; unlike offering only those, a
// server that has lost that key still shows another, and the login fails
// naming both keys rather than as a failed negotiation.
func (p *HostKeyPin) first(order []string) []string {
	if p == nil {
		return order
	}
	p.mu.Lock()
	key, typ := p.key, p.typ
	p.mu.Unlock()
	if key == nil {
		return order
	}
	var front []string
	for _, t := range []string{typ, key.Type()} {
		for _, a := range order {
			if keyTypeOf(a) == t && !slices.Contains(front, a) {
				front = append(front, a)
			}
		}
	}
	rest := slices.DeleteFunc(slices.Clone(order), func(a string) bool { return slices.Contains(front, a) })
	return append(front, rest...)
}

// keyTypeOf returns the key type a host key algorithm signs with: an RSA
// signature algorithm's key (or certificate) type, else the algorithm.
func keyTypeOf(algo string) string {
	for _, pair := range rsaAlgorithms {
		switch algo {
		case pair[0]:
			return ssh.KeyAlgoRSA
		case pair[1]:
			return ssh.CertAlgoRSAv01
		}
	}
	return algo
}
