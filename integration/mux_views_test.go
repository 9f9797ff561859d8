package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestMuxAliases: two aliases of one address are two views, each with a
// master of its own; each master's mux socket is named for its alias
// (%n), so each alias's warm ssh rides its own master's door, silently.
// (With a socket named for the address, the second alias's ssh reached
// the first's master and rode its login.)
func TestMuxAliases(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	bin := harness.Binary(t)
	other := authorizeOtherKey(t, sshd)
	c.AddMuxHost("ma", bin)
	c.AddMuxHost("mb", bin, "IdentityFile "+other)
	for _, h := range []string{"ma", "ma", "mb", "mb"} {
		if res := harness.Run(t, sshTimeout, c.SSH(h, "true")); res.Code != 0 || len(res.Stderr) != 0 {
			t.Fatalf("ssh %s true: %s; want exit 0 and a clean stderr", h, res)
		}
	}
	ms := c.MuxMasters(bin)
	if len(ms) != 2 || ms[0].MuxSocket == ms[1].MuxSocket || ms[0].MuxSessions != 1 || ms[1].MuxSessions != 1 {
		t.Errorf("masters %+v; want two, each with a mux socket of its own that served one session", ms)
	}
	if got := sshd.Logins(); got != 2 {
		t.Errorf("sshd logins = %d; want 2, one per alias", got)
	}
}

// TestMuxOtherView: an ssh run with an option that shapes the upstream
// (-i) is another view: the mux door of the plain view's master hands it
// to its ProxyCommand, which starts that view's master; its login is its
// own key's.
func TestMuxOtherView(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	bin := harness.Binary(t)
	other := authorizeOtherKey(t, sshd)
	c.AddMuxHost("m", bin)
	for range 2 {
		if res := harness.Run(t, sshTimeout, c.SSH("m", "true")); res.Code != 0 {
			t.Fatalf("ssh m true: %s", res)
		}
	}
	res := harness.Run(t, sshTimeout, c.SSH("-i", other, "m", "echo other"))
	if res.Code != 0 || string(res.Stdout) != "other\n" || !strings.Contains(string(res.Stderr), "another view") {
		t.Fatalf("ssh -i other m: %s; want it served, after the mux door said it is another view", res)
	}
	ms := c.Masters(bin)
	if len(ms) != 2 {
		t.Fatalf("masters %+v; want the plain view's and the -i view's", ms)
	}
	var keyed bool
	for _, m := range ms {
		keyed = keyed || len(m.SSHOptions) > 0 && strings.Contains(strings.Join(m.SSHOptions, " "), "id_other")
	}
	if !keyed || sshd.Logins() != 2 {
		t.Errorf("masters %+v, logins %d; want a master of its own for -i, 2 logins", ms, sshd.Logins())
	}
}

// TestMuxSharedPath: with a mux path template that two aliases of one
// address share (%h, not %n), the first alias's master holds the socket,
// and an ssh of the second alias that reaches it is sent to its
// ProxyCommand (another view: another Host block), not let into the
// first alias's login.
func TestMuxSharedPath(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	bin := harness.Binary(t)
	shared := filepath.Join(c.ShareDir(), "%r@%h-%p.mux")
	c.Env = append(c.Env, "SSHSHARE_MUX_PATH="+shared)
	c.AddMuxHost("ma", bin, "ControlPath "+shared)
	c.AddMuxHost("mb", bin, "ControlPath "+shared)
	for _, h := range []string{"ma", "ma"} {
		if res := harness.Run(t, sshTimeout, c.SSH(h, "true")); res.Code != 0 || len(res.Stderr) != 0 {
			t.Fatalf("ssh %s true: %s", h, res)
		}
	}
	res := harness.Run(t, sshTimeout, c.SSH("mb", "echo b"))
	if res.Code != 0 || string(res.Stdout) != "b\n" || !strings.Contains(string(res.Stderr), "another view") {
		t.Fatalf("ssh mb: %s; want it served, after ma's mux door said it is another view", res)
	}
	if ms := c.Masters(bin); len(ms) != 2 || sshd.Logins() != 2 {
		t.Errorf("masters %+v, logins %d; want one master and one login per alias", ms, sshd.Logins())
	}
}

// authorizeOtherKey makes a second key, which sshd takes too, and returns
// its file.
func authorizeOtherKey(t *testing.T, sshd *harness.SSHD) string {
	t.Helper()
	other := filepath.Join(t.TempDir(), "id_other")
	pub := loginNewKey(t, other, "")
	f, err := os.OpenFile(sshd.AuthorizedKeysPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(pub + "\n"); err != nil {
		t.Fatal(err)
	}
	return other
}
