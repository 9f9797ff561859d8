//go:build unix

package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshshare/sshshare/integration/harness"
)

// forcedOutput is what the restricted key's forced command prints.
const forcedOutput = "forced-command-of-the-restricted-key\n"

// identityEnv is an sshd that accepts two keys: the client's own, free to
// run anything, and a restricted one whose authorized_keys line forces a
// command. Which output an ssh gets shows which key its login used.
type identityEnv struct {
	sshd       *harness.SSHD
	c          *harness.Client
	bin        string
	restricted string // the restricted private key
}

func newIdentityEnv(t *testing.T) *identityEnv {
	t.Helper()
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	c.Env = append(c.Env, "GORACE=atexit_sleep_ms=0")
	e := &identityEnv{sshd: sshd, c: c, bin: harness.Binary(t), restricted: filepath.Join(c.Home, ".ssh", "id_restricted")}
	pub := loginNewKey(t, e.restricted, "")
	identityAppend(t, sshd.AuthorizedKeysPath, `command="echo `+strings.TrimSuffix(forcedOutput, "\n")+`" `+pub+"\n")
	t.Cleanup(func() {
		c.StopMasters(e.bin)
		killMasters(t, c, func(pid int) { t.Errorf("master pid %d still running after sshshare stop --all", pid) })
	})
	return e
}

// shareBlock appends a Host block for alias that goes through sshshare
// with flags on its ProxyCommand (no --alias unless given), the client's
// known hosts, and identity as its IdentityFile ("" for none).
func (e *identityEnv) shareBlock(t *testing.T, alias, flags, identity string) {
	t.Helper()
	socket := filepath.Join(e.c.ShareDir(), "%r@%h-%p")
	proxy := e.bin + " -F " + e.c.ConfigPath + " --control-path " + socket + " " + flags + " %r %h %p"
	e.block(t, alias, "ProxyCommand "+proxy, identity)
}

// block appends a Host block for alias with the proxy line, the set-up
// line, the client's known hosts and identity ("" for none).
func (e *identityEnv) block(t *testing.T, alias, proxy, identity string) {
	t.Helper()
	lines := []string{
		"Host " + alias,
		"  HostName " + e.sshd.Host,
		"  Port " + strconv.Itoa(e.sshd.Port),
		"  User " + e.sshd.User,
		"  IdentitiesOnly yes",
		"  UserKnownHostsFile " + e.c.KnownHosts,
		"  StrictHostKeyChecking yes",
		"  BatchMode yes",
		"  " + proxy,
		"  GlobalKnownHostsFile /etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2 " + e.c.LocalKnownHosts(),
	}
	if identity != "" {
		lines = append(lines, "  IdentityFile "+identity)
	}
	identityAppend(t, e.c.ConfigPath, strings.Join(lines, "\n")+"\n")
}

// run runs ssh with args, echo real, in dir ("" for the test's), and
// fails the test unless it exits 0 with want on stdout.
func (e *identityEnv) run(t *testing.T, dir, want string, args ...string) {
	t.Helper()
	cmd := e.c.SSH(append(args, "echo", "real")...)
	cmd.Dir = dir
	res := harness.Run(t, sshTimeout, cmd)
	if res.Code != 0 || string(res.Stdout) != want {
		t.Fatalf("ssh %s echo real: %s; want exit 0 and %q\nsshd log:\n%s", strings.Join(args, " "), res, want, e.sshd.Log())
	}
	t.Logf("ssh %s echo real: exit 0, %q", strings.Join(args, " "), res.Stdout)
}

// fingerprint is how sshd's log and status name the key at path.
func fingerprint(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(pub)
}

// checkMasters fails the test unless status lists one master per entry
// of want, alias → the fingerprint of the key it logged in with, and sshd
// counted exactly that many logins.
func (e *identityEnv) checkMasters(t *testing.T, want map[string]string) {
	t.Helper()
	masters := e.c.Masters(e.bin)
	got := map[string]string{}
	for _, m := range masters {
		t.Logf("master %s alias %q identity %q ssh options %q socket %s", m.Target, m.Alias, m.Identity, m.SSHOptions, m.Socket)
		got[m.Alias+" "+strings.Join(m.SSHOptions, " ")] = m.Identity
	}
	if len(masters) != len(want) {
		t.Errorf("status lists %d masters; want %d: %+v", len(masters), len(want), masters)
	}
	for key, fp := range want {
		if id, ok := got[key]; !ok || !strings.HasSuffix(id, fp) {
			t.Errorf("master %q: identity %q; want one ending %s (status %+v)", key, id, fp, got)
		}
		if !strings.Contains(e.sshd.Log(), fp) {
			t.Errorf("sshd log never names %s", fp)
		}
	}
	if n := e.sshd.Logins(); n != len(want) {
		t.Errorf("sshd logins: %d; want %d", n, len(want))
	}
	t.Logf("masters %d, sshd logins %d", len(masters), e.sshd.Logins())
}

// TestShareIdentityPerAlias: two aliases of one user@host:port with
// different IdentityFile get a master each, and each alias runs exactly
// what its own key allows, whichever started its master first.
func TestShareIdentityPerAlias(t *testing.T) {
	e := newIdentityEnv(t)
	e.c.AddShareHost("free", e.bin)
	e.c.AddShareHost("restricted", e.bin, "IdentityFile "+e.restricted)

	e.run(t, "", forcedOutput, "restricted")
	e.run(t, "", "real\n", "free")
	e.run(t, "", forcedOutput, "restricted")
	e.run(t, "", "real\n", "free")

	e.checkMasters(t, map[string]string{
		"free ":       fingerprint(t, e.c.KeyPath),
		"restricted ": fingerprint(t, e.restricted),
	})
}

// TestShareAliasFromCommandLine: the design card's own line, `ProxyCommand
// sshshare %r %h %p` without --alias, in an alias's Host block with its own
// IdentityFile and set-up line. The master reads the alias from ssh's
// command line, so it sees that block and logs in with its key.
func TestShareAliasFromCommandLine(t *testing.T) {
	e := newIdentityEnv(t)
	e.shareBlock(t, "card", "", e.restricted)

	e.run(t, "", forcedOutput, "card")
	e.run(t, "", forcedOutput, "card")

	e.checkMasters(t, map[string]string{"card ": fingerprint(t, e.restricted)})
}

// TestShareCommandLineIdentity: `ssh -i key host` for a host whose config
// names no IdentityFile logs in with that key; a second `ssh -i otherkey`
// gets a master of its own instead of riding the first login, and each
// later ssh rides the master of its own key. The second key is given by
// a path relative to ssh's working directory.
func TestShareCommandLineIdentity(t *testing.T) {
	e := newIdentityEnv(t)
	e.shareBlock(t, "cli", "--alias %n", "")
	keyDir := filepath.Dir(e.c.KeyPath)
	free := filepath.Base(e.c.KeyPath)

	e.run(t, "", forcedOutput, "-i", e.restricted, "cli")
	e.run(t, keyDir, "real\n", "-i", free, "cli")
	e.run(t, "", forcedOutput, "cli", "-i", e.restricted)
	e.run(t, keyDir, "real\n", "-o", "ConnectTimeout=20", "-i", free, "cli")

	e.checkMasters(t, map[string]string{
		"cli -i" + e.restricted: fingerprint(t, e.restricted),
		"cli -i" + e.c.KeyPath:  fingerprint(t, e.c.KeyPath),
	})
}

// TestShareCommandLineUnread: run by a shell that does not exec it,
// sshshare cannot see ssh's command line. For a host typed by its own name
// it works as before, and status says the command line was not read; for
// an alias whose set-up line the master cannot see, the refusal's hint
// names the fix, --alias %n, and why.
func TestShareCommandLineUnread(t *testing.T) {
	wrapped := func(e *identityEnv) string {
		socket := filepath.Join(e.c.ShareDir(), "%r@%h-%p")
		return "ProxyCommand sh -c '" + e.bin + " -F " + e.c.ConfigPath + " --control-path " + socket + " %r %h %p; exit $?'"
	}
	t.Run("host name", func(t *testing.T) {
		e := newIdentityEnv(t)
		e.block(t, e.sshd.Host, wrapped(e), e.c.KeyPath)
		e.run(t, "", "real\n", e.sshd.Host)
		masters := e.c.Masters(e.bin)
		if len(masters) != 1 || !strings.Contains(masters[0].SSHOptionsUnread, "not ssh") {
			t.Errorf("status: %+v; want one master whose ssh_options_unread says its parent is not ssh", masters)
		} else {
			t.Logf("status ssh_options_unread: %q", masters[0].SSHOptionsUnread)
		}
	})
	t.Run("alias", func(t *testing.T) {
		e := newIdentityEnv(t)
		e.block(t, "wrapped", wrapped(e), e.restricted)
		res := harness.Run(t, sshTimeout, e.c.SSH("wrapped", "true"))
		t.Logf("ssh wrapped true: %s", res)
		if res.Code != 255 || !strings.Contains(string(res.Stderr), "sshshare: hint: ") || !strings.Contains(string(res.Stderr), "--alias %n") {
			t.Errorf("ssh wrapped true: %s; want exit 255 and a hint naming --alias %%n", res)
		}
		if n := e.sshd.Logins(); n != 0 {
			t.Errorf("sshd logins: %d; want 0", n)
		}
	})
}

// identityAppend appends s to the file at path.
func identityAppend(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}
