//go:build unix

package integration

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestLoginChangedHostKey is the seed's recycled-IP case: known_hosts has
// another key for the address. sshshare refuses: exit 255, a message that
// names the known_hosts file and line, and no login on the sshd.
func TestLoginChangedHostKey(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	bin := harness.Binary(t)
	c.AddShareHost("recycled", bin)
	oldKey := loginNewKey(t, filepath.Join(t.TempDir(), "old_host_key"), "")
	// The stale entry is on line 3, after a comment and another host.
	loginWriteFile(t, c.KnownHosts, strings.Join([]string{
		"# hosts we have seen",
		"[127.0.0.1]:1 " + oldKey,
		"[127.0.0.1]:" + strconv.Itoa(sshd.Port) + " " + oldKey,
	}, "\n")+"\n")
	wantLine := c.KnownHosts + ":3"

	res := harness.Run(t, sshTimeout, loginNoTTY(c.SSH("recycled", "true")))

	if res.Code != 255 {
		t.Errorf("ssh recycled true: %s; want exit 255", res)
	}
	lines := loginSSHShareLines(res.Stderr)
	if !strings.Contains(strings.Join(lines, "\n"), wantLine) {
		t.Errorf("sshshare lines on stderr %q; want one naming %s\nfull stderr:\n%s\nmaster logs:\n%s",
			lines, wantLine, res.Stderr, loginMasterLogs(t, c, "recycled"))
	}
	if !strings.Contains(strings.Join(lines, "\n"), "sshshare: hint:") {
		t.Errorf("sshshare lines on stderr %q; want a hint line", lines)
	}
	if got := sshd.Logins(); got != 0 {
		t.Errorf("sshd logins = %d; want 0 (a changed host key must never be logged in to)\nsshd log:\n%s", got, sshd.Log())
	}
}

// TestLoginUnknownHostKey: StrictHostKeyChecking accept-new connects to a
// host whose key is unknown and records the key in known_hosts; yes
// refuses it without logging in.
func TestLoginUnknownHostKey(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	bin := harness.Binary(t)
	name := "[127.0.0.1]:" + strconv.Itoa(sshd.Port)

	t.Run("accept-new", func(t *testing.T) {
		c := harness.NewClient(t, sshd)
		c.AddShareHost("new", bin, "StrictHostKeyChecking accept-new")
		loginWriteFile(t, c.KnownHosts, "")
		before := sshd.Logins()

		loginRunTrue(t, c, "new", 2)

		if got := sshd.Logins() - before; got != 1 {
			t.Errorf("sshd logins = %d; want 1", got)
		}
		known := loginReadFile(c.KnownHosts)
		found := false
		for _, line := range strings.Split(known, "\n") {
			f := strings.Fields(line)
			if len(f) >= 3 && f[0] == name && f[1]+" "+f[2] == sshd.HostKeyPub {
				found = true
			}
		}
		if !found {
			t.Errorf("known_hosts is %q; want a line %q", known, name+" "+sshd.HostKeyPub)
		}
	})

	t.Run("yes", func(t *testing.T) {
		c := harness.NewClient(t, sshd)
		c.AddShareHost("new", bin, "StrictHostKeyChecking yes")
		loginWriteFile(t, c.KnownHosts, "")
		before := sshd.Logins()

		res := harness.Run(t, sshTimeout, loginNoTTY(c.SSH("new", "true")))

		if res.Code != 255 {
			t.Errorf("ssh new true: %s; want exit 255", res)
		}
		if lines := loginSSHShareLines(res.Stderr); !strings.Contains(strings.Join(lines, "\n"), "SHA256:") {
			t.Errorf("sshshare lines on stderr %q; want the unknown key's SHA256 fingerprint\nfull stderr:\n%s", lines, res.Stderr)
		}
		if got := sshd.Logins() - before; got != 0 {
			t.Errorf("sshd logins = %d; want 0", got)
		}
		if got := loginReadFile(c.KnownHosts); got != "" {
			t.Errorf("known_hosts became %q; want it left empty", got)
		}
	})
}
