package upstream

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/sysio"
	"golang.org/x/crypto/ssh"
)

// Keys that live in hardware (FIDO security keys, PKCS#11 tokens) sign
// only through their device, which the master cannot drive: x/crypto has
// no FIDO signer, and a PKCS#11 library needs cgo. Through an agent that
// holds them (`ssh-add -K`, `ssh-add KEYFILE`, `ssh-add -s PROVIDER`) they
// work like any agent key. Otherwise they are offered by their public half
// as ssh offers them, and if the server accepts one, where ssh would ask
// the device to sign, the login is refused with the fix.

// isSecurityKey reports whether pub is a FIDO (sk-) key.
func isSecurityKey(pub ssh.PublicKey) bool {
	return strings.HasPrefix(pub.Type(), "sk-")
}

// securityKeyError is the refusal for a FIDO identity file the agent
// does not hold.
func securityKeyError(path string) error {
	return hint.With(fmt.Errorf("security key (FIDO) identity file %s is not supported by the master", path),
		"load it into your agent: ssh-add "+path+" (or ssh-add -K for resident keys)")
}

// pkcs11Error is the refusal for a PKCS11Provider key the agent does not
// hold.
func pkcs11Error(provider string) error {
	return hint.With(fmt.Errorf("PKCS11Provider %s is not supported by the master", provider),
		"load it into your agent: ssh-add -s "+provider)
}

// openSSHPublicKey reads the public half of an OpenSSH-format private key
// file, which is stored unencrypted: x/crypto's parser gives it only for
// encrypted keys of types it can sign with, not for sk- keys.
func openSSHPublicKey(pemBytes []byte) ssh.PublicKey {
	block, _ := pem.Decode(pemBytes)
	const magic = "openssh-key-v1\x00"
	if block == nil || block.Type != "OPENSSH PRIVATE KEY" || !bytes.HasPrefix(block.Bytes, []byte(magic)) {
		return nil
	}
	var w struct {
		CipherName   string
		KdfName      string
		KdfOpts      string
		NumKeys      uint32
		PubKey       []byte
		PrivKeyBlock []byte
	}
	if err := ssh.Unmarshal(block.Bytes[len(magic):], &w); err != nil || w.NumKeys != 1 {
		return nil
	}
	pub, err := ssh.ParsePublicKey(w.PubKey)
	if err != nil {
		return nil
	}
	return pub
}

// providerKeys lists the public keys of the PKCS11Provider (see
// providerList). Keys the agent holds are used through it; the others are
// unusableKeys. A provider that lists nothing (no token inserted) adds no
// keys, as for ssh.
func (k *keyring) providerKeys() []identity {
	provider := k.cfg.PKCS11Provider
	if provider == "" || provider == "none" {
		return nil
	}
	if k.providers == nil {
		k.providers = &providerList{}
	}
	pubs, err := k.providers.keys(k.loginContext(), provider)
	if err != nil {
		k.log.Warn("PKCS11Provider", "provider", provider, "err", err)
		k.declined = append(k.declined, fmt.Sprintf("PKCS11Provider %s: ssh-keygen -D: %v", provider, err))
		return nil
	}
	var ids []identity
	for _, pub := range pubs {
		id := identity{path: provider, pub: pub}
		if !k.agentHolds(pub) {
			id.signer = unusableKey{pub: pub, err: pkcs11Error(provider), keys: k}
		}
		ids = append(ids, id)
	}
	return ids
}

// loginContext is the login's context, or a background one for a keyring
// made without it.
func (k *keyring) loginContext() context.Context {
	if k.ctx == nil {
		return context.Background()
	}
	return k.ctx
}

// providerListWait bounds one `ssh-keygen -D`: a provider library that
// hangs must not hold the login forever.
const providerListWait = 30 * time.Second

// providerList is the PKCS11Provider's public keys, read with
// `ssh-keygen -D` (which loads the library in its own process) by the
// first login that needs them, within that login's context. A provider's
// keys do not change while a master runs, so its later logins (pooled
// connections, heals) reuse the list instead of loading the library
// again. A listing cut short by its login's end is not kept.
type providerList struct {
	mu   sync.Mutex
	done bool
	pubs []ssh.PublicKey
	err  error
	// list runs the listing; nil runs ssh-keygen -D.
	list func(ctx context.Context, provider string) ([]byte, error)
}

// keys lists the provider's keys, once.
func (p *providerList) keys(ctx context.Context, provider string) ([]ssh.PublicKey, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return p.pubs, p.err
	}
	list := p.list
	if list == nil {
		list = keygenList
	}
	wait, cancel := context.WithTimeout(ctx, providerListWait)
	defer cancel()
	out, err := list(wait, provider)
	if err != nil && ctx.Err() != nil {
		return nil, err // the login ended: a later one lists again
	}
	p.done, p.err = true, err
	for _, line := range strings.Split(string(out), "\n") {
		if pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line)); err == nil {
			p.pubs = append(p.pubs, pub)
		}
	}
	if err != nil {
		p.pubs = nil
	}
	return p.pubs, p.err
}

// keygenList runs `ssh-keygen -D provider`.
func keygenList(ctx context.Context, provider string) ([]byte, error) {
	cmd := sysio.NoWindow(exec.CommandContext(ctx, "ssh-keygen", "-D", provider))
	cmd.Dir = sysio.StartDir() // a relative PKCS11Provider path
	return cmd.Output()
}

// agentHolds reports whether the agent lists pub.
func (k *keyring) agentHolds(pub ssh.PublicKey) bool {
	if k.agent == nil {
		return false
	}
	keys, err := k.agent.List()
	if err != nil {
		return false
	}
	for _, key := range keys {
		if keysEqual(key, pub) {
			return true
		}
	}
	return false
}
