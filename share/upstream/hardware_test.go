package upstream

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/crypto/ssh"
)

// loginKey is a context key marking the login a context belongs to.
type loginKey struct{}

// TestProviderKeysListedOnce: the PKCS11Provider's keys are listed within
// the login's context, once for all the logins sharing the list (a
// master's pooled and healing dials); a listing cut short by its login's
// end is not kept, and the next login lists again.
func TestProviderKeysListedOnce(t *testing.T) {
	key := sshtest.NewKey(t)
	line := ssh.MarshalAuthorizedKey(key.PublicKey())
	runs := 0
	var seen []any
	list := &providerList{list: func(ctx context.Context, provider string) ([]byte, error) {
		runs++
		seen = append(seen, ctx.Value(loginKey{}))
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return line, nil
	}}
	cfg := HostConfig{PKCS11Provider: "/usr/lib/p11.so"}
	login := func(ctx context.Context) []identity {
		k := &keyring{ctx: ctx, cfg: cfg, log: sshtest.DiscardLogger(), providers: list}
		return k.providerKeys()
	}

	ended, cancel := context.WithCancel(context.WithValue(context.Background(), loginKey{}, "ended"))
	cancel()
	if ids := login(ended); len(ids) != 0 {
		t.Errorf("login ended: got %d keys; want none", len(ids))
	}
	for i, name := range []string{"primary", "pooled", "heal"} {
		ids := login(context.WithValue(context.Background(), loginKey{}, name))
		if len(ids) != 1 || !keysEqual(ids[0].pub, key.PublicKey()) {
			t.Fatalf("login %d: got %d keys; want the provider's one", i, len(ids))
		}
		if _, ok := ids[0].signer.(unusableKey); !ok {
			t.Errorf("login %d: key not held by the agent is %T; want an unusableKey", i, ids[0].signer)
		}
	}
	if runs != 2 || seen[0] != "ended" || seen[1] != "primary" {
		t.Errorf("ssh-keygen -D ran %d times in logins %v; want twice: in the login that ended, then once in the primary's", runs, seen)
	}
}

// TestProviderKeysFailureKept: a provider that cannot be listed is
// declined in each login, but listed only once.
func TestProviderKeysFailureKept(t *testing.T) {
	runs := 0
	list := &providerList{list: func(context.Context, string) ([]byte, error) {
		runs++
		return nil, errors.New("exit status 1")
	}}
	for range 2 {
		k := &keyring{ctx: context.Background(), cfg: HostConfig{PKCS11Provider: "/nope.so"}, log: sshtest.DiscardLogger(), providers: list}
		if ids := k.providerKeys(); len(ids) != 0 || len(k.declined) != 1 {
			t.Errorf("got %d keys, declined %q; want none, the provider declined", len(ids), k.declined)
		}
	}
	if runs != 1 {
		t.Errorf("ssh-keygen -D ran %d times; want once", runs)
	}
}

// TestDialerSharesProviderKeys: the first Dial makes the Dialer's list of
// provider keys, and copies made after it (the master's pooled and
// healing Dialers) share it.
func TestDialerSharesProviderKeys(t *testing.T) {
	refused := errors.New("refused")
	d := &Dialer{Log: sshtest.DiscardLogger(), Transport: func(context.Context, string, int) (net.Conn, error) { return nil, refused }}
	if _, err := d.Dial(context.Background()); err == nil {
		t.Fatal("dial through a refusing transport succeeded")
	}
	pooled := *d
	if d.providers == nil || pooled.providers != d.providers {
		t.Error("a copy of the Dialer made after its first Dial lists the provider's keys again")
	}
}
