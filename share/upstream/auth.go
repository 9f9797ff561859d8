package upstream

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strconv"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/sshshare/sshshare/share/sysio"
	"github.com/sshshare/sshshare/tokens"
)

// keyring gathers the public keys the master may log in with, the way ssh
// does: agent keys, then identity files (IdentitiesOnly limits agent keys
// to those named by identity files), then the keys of a PKCS11Provider
// that the agent does not hold. Every key is offered by its public half
// first; a key's private half is used only once the server accepts it.
type keyring struct {
	// ctx is the login's: it bounds the commands the keyring runs.
	ctx    context.Context
	cfg    HostConfig
	target Target
	log    *slog.Logger
	// authSock is the environment's SSH_AUTH_SOCK, the agent when
	// IdentityAgent is unset or names that variable.
	authSock string
	agent    agent.ExtendedAgent
	conn     net.Conn
	// prompter asks for passphrases of encrypted identity files; nil
	// skips them.
	prompter Prompter
	// late are the encrypted identity files whose public half is unknown
	// until unlocked (PEM keys without a .pub file); see lateKeys.
	late []*lockedKey
	// offered is set once the publickey method ran, lateOffered once
	// the late keys were offered.
	offered, lateOffered bool
	// signed is the key that signed last: the identity of the login.
	signed signRecord
	// declined lists the keys that could not sign, and why.
	declined []string
	// kex has the server's key exchange reply, for session-bind; bound
	// is set once the agent connection was bound (or that was tried).
	kex   *kexSniffer
	bound bool
	// asked is set once the login asked for a password or answers.
	asked bool
	// providers lists the PKCS11Provider's keys once per Dialer; nil
	// lists them for this login only.
	providers *providerList
	// halted, once set, ends the login: a key the server accepted cannot
	// be used by the master.
	halted error
	// decrypted are the private keys unlocked for this login, cleared by
	// close: nothing after the login signs with them.
	decrypted []any
}

// signers returns the keys to try, in order; errors loading one file are
// logged and the file skipped, as ssh does.
func (k *keyring) signers() ([]ssh.Signer, error) {
	agentSigners := k.agentSigners()
	files := k.identityFiles(agentSigners)
	provider := k.providerKeys()
	if k.cfg.IdentitiesOnly {
		agentSigners = onlyFileKeys(agentSigners, append(files, provider...))
	}
	certs := k.certificates(files)
	out := withCerts(agentSigners, certs)
	for _, f := range append(files, provider...) {
		if f.signer != nil && !containsKey(out, f.pub) {
			out = append(out, withCerts([]ssh.Signer{f.signer}, certs)...)
		}
	}
	return k.offerable(out), nil
}

// offerable leaves out the keys the config does not allow, and makes the
// others decline instead of failing (see declining).
func (k *keyring) offerable(out []ssh.Signer) []ssh.Signer {
	out, skipped := acceptedSigners(out, k.cfg.Algorithms.PubkeyAcceptedAlgorithms)
	for _, key := range skipped {
		k.log.Debug("key skipped: not in PubkeyAcceptedAlgorithms", "key", key)
	}
	out, skipped = largeEnough(out, k.cfg.Algorithms.RequiredRSASize)
	for _, key := range skipped {
		k.log.Info("key skipped: smaller than RequiredRSASize", "key", key, "min", k.cfg.Algorithms.RequiredRSASize)
	}
	for i, s := range out {
		out[i] = decline(s, k.log, &k.declined)
	}
	return out
}

// halt ends the login with err: methods that would ask the user
// something fail with it instead (see Dialer.authMethods).
func (k *keyring) halt(err error) {
	if k.halted == nil {
		k.halted = err
	}
}

// certificates loads CertificateFile entries and each identity's
// "-cert.pub", as ssh does.
func (k *keyring) certificates(files []identity) []*ssh.Certificate {
	var paths []string
	for _, tmpl := range k.cfg.CertificateFiles {
		if p, err := k.expand(tmpl); err == nil {
			paths = append(paths, p)
		}
	}
	for _, f := range files {
		paths = append(paths, f.path+"-cert.pub")
	}
	var certs []*ssh.Certificate
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
		if cert, ok := pub.(*ssh.Certificate); err == nil && ok {
			certs = append(certs, cert)
		}
	}
	return certs
}

// withCerts puts, before each signer, a certificate signer for every
// certificate of its key: servers that trust a user CA accept those.
func withCerts(signers []ssh.Signer, certs []*ssh.Certificate) []ssh.Signer {
	var out []ssh.Signer
	for _, s := range signers {
		for _, c := range certs {
			if keysEqual(c.Key, s.PublicKey()) {
				if cs, err := ssh.NewCertSigner(c, s); err == nil {
					out = append(out, cs)
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// identity is one IdentityFile, or one key of a PKCS11Provider: its
// public half and how to sign with it.
type identity struct {
	path    string
	comment string // from the .pub file, if any
	pub     ssh.PublicKey
	signer  ssh.Signer
}

// identityFiles loads the configured identity files that exist. A file
// that cannot be read is logged and skipped; an encrypted one is unlocked
// only if the server accepts it, and not at all when the agent holds it;
// one whose public half is unknown goes to k.late.
func (k *keyring) identityFiles(agentSigners []ssh.Signer) []identity {
	var out []identity
	k.late = nil
	for _, tmpl := range k.cfg.IdentityFiles {
		path, err := k.expand(tmpl)
		if err != nil {
			k.log.Warn("identity file", "path", tmpl, "err", err)
			continue
		}
		id, err := k.loadIdentity(path, agentSigners)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			k.log.Warn("identity file", "path", path, "err", err)
		}
		if lk, ok := id.signer.(*lockedKey); ok && id.pub == nil {
			k.late = append(k.late, lk)
		}
		if id.pub != nil {
			out = append(out, id)
		}
	}
	return out
}

// loadIdentity reads a private key and its .pub, if any. An encrypted key
// becomes a lockedKey; a FIDO (sk-) key, which x/crypto cannot sign with,
// an unusableKey unless the agent holds it.
func (k *keyring) loadIdentity(path string, agentSigners []ssh.Signer) (identity, error) {
	id := identity{path: path}
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		return id, err
	}
	if pubBytes, err := os.ReadFile(path + ".pub"); err == nil {
		id.pub, id.comment, _, _, _ = ssh.ParseAuthorizedKey(pubBytes)
	}
	if id.pub == nil {
		id.pub = openSSHPublicKey(pemBytes)
	}
	if id.pub != nil && isSecurityKey(id.pub) {
		if !containsKey(agentSigners, id.pub) {
			id.signer = unusableKey{pub: id.pub, err: securityKeyError(path), keys: k}
		}
		return id, nil
	}
	signer, err := ssh.ParsePrivateKey(pemBytes)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if id.pub == nil {
			id.pub = missing.PublicKey
		}
		// A PEM key without its .pub has no public half to offer or
		// to find in the agent until unlocked.
		if id.pub == nil || !containsKey(agentSigners, id.pub) {
			id.signer = &lockedKey{id: id, pem: pemBytes, keys: k}
		}
		return id, nil
	}
	if err != nil {
		return id, fmt.Errorf("parse %s: %w", path, err)
	}
	id.signer, id.pub = signer, signer.PublicKey()
	return id, nil
}

// unlock asks for the passphrase of an encrypted key, up to three times
// as ssh does, and adds the key to the agent if AddKeysToAgent says so.
// No answer, or three wrong ones, declines the key (the login goes on
// with the next); failing to ask at all ends the login.
func (k *keyring) unlock(id identity, pemBytes []byte) (ssh.Signer, error) {
	if k.prompter == nil {
		return nil, &declinedError{key: id.pub, reason: id.path + " is encrypted and there is no way to ask for its passphrase"}
	}
	prompt := local(fmt.Sprintf("Enter passphrase for key '%s': ", id.path))
	for range 3 {
		answers, err := k.prompter.Ask(Question{Prompts: []string{prompt}, Echos: []bool{false}})
		if err != nil {
			k.halt(err)
			return nil, err
		}
		if len(answers) != 1 || answers[0] == "" {
			return nil, &declinedError{key: id.pub, reason: "no passphrase given for " + id.path}
		}
		pass := []byte(answers[0])
		raw, err := ssh.ParseRawPrivateKeyWithPassphrase(pemBytes, pass)
		clear(pass)
		if err == nil {
			return k.unlocked(id, raw)
		}
		prompt = local("Bad passphrase, try again for " + id.path + ": ")
	}
	return nil, &declinedError{key: id.pub, reason: "wrong passphrase for " + id.path}
}

// unlocked makes the signer of a key just unlocked, and adds the key to
// the agent as AddKeysToAgent asks.
func (k *keyring) unlocked(id identity, raw any) (ssh.Signer, error) {
	signer, err := ssh.NewSignerFromKey(raw)
	if err != nil {
		return nil, &declinedError{key: id.pub, reason: fmt.Sprintf("%s: %v", id.path, err)}
	}
	if id.pub == nil {
		id.pub = signer.PublicKey()
	}
	k.decrypted = append(k.decrypted, raw)
	k.addToAgent(id, raw)
	return signer, nil
}

// expand expands ~ and %-tokens in a path from the config; a relative
// result is relative to the directory ssh ran in (sysio.Abs).
func (k *keyring) expand(tmpl string) (string, error) {
	v, err := tokens.Local(k.target.User, k.cfg.HostName, strconv.Itoa(k.cfg.Port), k.target.configHost())
	if err != nil {
		return "", err
	}
	path, err := tokens.Expand(tmpl, v)
	return sysio.Abs(path), err
}

// AgentSocket is the agent a login with this config asks for keys: the
// config's IdentityAgent, or authSock (the SSH_AUTH_SOCK of the ssh that
// started the master) when IdentityAgent is unset or names that variable;
// "" for none.
func (c HostConfig) AgentSocket(authSock string) string {
	switch c.IdentityAgent {
	case "none":
		return ""
	case "", "SSH_AUTH_SOCK":
		return authSock
	}
	return sysio.Abs(c.IdentityAgent)
}

// agentSigners connects to the agent (AgentSocket) and returns its keys;
// no agent is not an error.
func (k *keyring) agentSigners() []ssh.Signer {
	sock := k.cfg.AgentSocket(k.authSock)
	if sock == "" {
		return nil
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		k.log.Warn("agent", "socket", sock, "err", err)
		return nil
	}
	k.conn = conn
	k.agent = agent.NewClient(conn)
	signers, err := k.agent.Signers()
	if err != nil {
		k.log.Warn("agent signers", "err", err)
	}
	for i, s := range signers {
		signers[i] = agentKey{Signer: s, keys: k}
	}
	return signers
}

// close releases the agent connection and clears the keys decrypted for
// the login: x/crypto keeps the login's config (and so this keyring) as
// long as the connection lives.
func (k *keyring) close() {
	if k.conn != nil {
		k.conn.Close()
	}
	for _, raw := range k.decrypted {
		clearPrivateKey(raw)
	}
	k.decrypted = nil
	for _, l := range k.late {
		l.signer = nil
	}
}

// onlyFileKeys keeps the agent keys whose public half is an identity file
// (or a PKCS11Provider key).
func onlyFileKeys(signers []ssh.Signer, files []identity) []ssh.Signer {
	var out []ssh.Signer
	for _, s := range signers {
		for _, f := range files {
			if keysEqual(s.PublicKey(), f.pub) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// containsKey reports whether any signer has public key pub.
func containsKey(signers []ssh.Signer, pub ssh.PublicKey) bool {
	for _, s := range signers {
		if keysEqual(s.PublicKey(), pub) {
			return true
		}
	}
	return false
}

// keysEqual compares two public keys by their wire form.
func keysEqual(a, b ssh.PublicKey) bool {
	return a != nil && b != nil && string(a.Marshal()) == string(b.Marshal())
}
