package upstream

import (
	"errors"
	"slices"

	"golang.org/x/crypto/ssh"
)

// An encrypted identity file in the legacy PEM format (`ssh-keygen -m
// PEM`) with no .pub beside it has no public half to offer until it is
// unlocked: ssh then loads the private key, asking its passphrase, when
// its turn comes in the publickey method, and offers it signed. The
// master's publickey method offers every key by its public half first, so
// such keys come after the others: once the publickey method has failed,
// each is unlocked (its passphrase asked) and offered in a second
// publickey attempt. A key nobody can be asked for is logged and counted
// among the keys that could not sign. The one difference from ssh: ssh
// would ask for it before trying the identity files after it.

// lateKeys is the login's AuthCallback: after the publickey method, while
// the server still takes publickey, it offers the late keys once.
func (k *keyring) lateKeys(ctx *ssh.ClientAuthContext) (ssh.AuthMethod, error) {
	if !k.offered || k.lateOffered || len(k.late) == 0 || k.halted != nil ||
		!slices.Contains(ctx.AllowedMethods, "publickey") {
		return nil, nil
	}
	k.lateOffered = true
	return ssh.PublicKeysCallback(k.unlockLate), nil
}

// unlockLate unlocks the late keys, asking for their passphrases, and
// returns those unlocked, ready to offer.
func (k *keyring) unlockLate() ([]ssh.Signer, error) {
	var out []ssh.Signer
	for _, l := range k.late {
		signer, err := k.unlock(l.id, l.pem)
		var dec *declinedError
		if errors.As(err, &dec) {
			k.log.Info("key declined, trying the next", "key", dec.Error())
			k.declined = append(k.declined, dec.Error())
			continue
		}
		if err != nil {
			return nil, err
		}
		id := l.id
		id.pub = signer.PublicKey()
		out = append(out, withCerts([]ssh.Signer{signer}, k.certificates([]identity{id}))...)
	}
	return k.signed.wrap(k.offerable(out)), nil
}
