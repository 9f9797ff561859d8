//go:build unix

package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
	"github.com/sshshare/sshshare/share/localhop"
)

// TestLocalKeyCopyExpires: a copy of the local host key (from a backup or
// a synced dotfiles repository) lets a server pass for a share host on a
// connection that does not go through sshshare, here `-o
// ProxyCommand=none`. Once the key is older than KeyLifetime, the next
// master to start with no other running replaces it, and ssh then refuses
// a server showing the copy. Sessions through sshshare go on working.
func TestLocalKeyCopyExpires(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	e.mustSSH(t, "true")
	e.c.StopMasters(e.bin)
	state := filepath.Dir(e.c.LocalKnownHosts())
	stolen := filepath.Join(t.TempDir(), "stolen-hostkey-ecdsa")
	copyFile(t, filepath.Join(state, "hostkey-ecdsa"), stolen)

	old := time.Now().Add(-localhop.KeyLifetime - time.Hour)
	for _, name := range []string{"hostkey", "hostkey-ecdsa"} {
		if err := os.Chtimes(filepath.Join(state, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.mustSSH(t, "echo", "through-sshshare"); !strings.Contains(string(got.Stdout), "through-sshshare") {
		t.Fatalf("ssh through sshshare after the keys aged: %s", got)
	}
	e.c.StopMasters(e.bin)

	impostor := harness.StartSSHD(t, harness.SSHDOptions{Extra: "HostKey " + stolen})
	authorized, err := os.ReadFile(e.sshd.AuthorizedKeysPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(impostor.AuthorizedKeysPath, authorized, 0o600); err != nil {
		t.Fatal(err)
	}
	res := harness.Run(t, sshTimeout, e.c.SSH("-o", "ProxyCommand=none", "-o", "BatchMode=yes",
		"-o", "HostKeyAlgorithms=ecdsa-sha2-nistp256", "-p", strconv.Itoa(impostor.Port), shareHost, "echo", "impostor-ran"))
	if res.Code != 255 || !strings.Contains(string(res.Stderr), "Host key verification failed") {
		t.Errorf("ssh to a server showing a copy of the replaced local key: %s; want exit 255, Host key verification failed", res)
	}
	if n := impostor.Logins(); n != 0 {
		t.Errorf("impostor sshd recorded %d logins; want 0", n)
	}
}

// copyFile copies src to dst with mode 0600.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLocalTrustEverywhereWarned: the line that trusts the local host key
// placed in `Host *` trusts it for hosts sshshare does not serve; the ssh
// that starts a master says so, once. The set-up of docs/setup.md, with
// the line in sshshare's own block, gets no warning.
func TestLocalTrustEverywhereWarned(t *testing.T) {
	const warning = "sshshare: warning: the line that trusts sshshare's local host key applies to every host"
	e := newShareEnv(t, harness.SSHDOptions{})
	if res := e.mustSSH(t, "true"); strings.Contains(string(res.Stderr), warning) {
		t.Errorf("set-up of docs/setup.md warned: %s", res.Stderr)
	}
	e.c.StopMasters(e.bin)
	e.c.AppendConfig("Host *", "    GlobalKnownHostsFile "+e.c.LocalKnownHosts())
	res := e.mustSSH(t, "true")
	if !strings.Contains(string(res.Stderr), warning) {
		t.Errorf("ssh starting a master with the trust line in Host *: stderr %q; want %q", res.Stderr, warning)
	}
	if res := e.mustSSH(t, "true"); strings.Contains(string(res.Stderr), warning) {
		t.Errorf("ssh riding the master warned again: %s", res.Stderr)
	}
}
