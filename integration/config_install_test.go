package integration

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestConfigInstall: `sshshare config --install 'h*'` on a scratch HOME
// whose ssh config has an Include file, a ProxyJump host and `Host *` with
// ControlMaster auto. Afterwards two ssh to a matched host make one login
// through one master; a host behind a bastion (ProxyJump) still goes
// through the bastion, in the master; an unmatched host is plain ssh with
// no master. A second --install changes nothing, and --uninstall gives
// back the original bytes.
//
// The client's HOME is not the password database's home that ssh's ~
// names, so the command writes its Include and known_hosts paths in full
// (see ConfigCmd), and ssh runs with -F the client's config as always.
func TestConfigInstall(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	bin := harness.Binary(t)
	t.Cleanup(func() { c.StopMasters(bin) })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("master logs:\n%s", c.MasterLogs())
		}
	})
	configUserSetup(t, c)
	orig, err := os.ReadFile(c.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}

	install := func() harness.Result {
		return harness.Run(t, sshTimeout, c.Command(bin, "config", "--control-path", c.ShareControlPath(), "--install", "h*"))
	}
	res := install()
	if res.Code != 0 || !bytes.Contains(res.Stdout, []byte("+Include ")) {
		t.Fatalf("config --install: %s", res)
	}
	t.Logf("config --install:\n%s", res.Stdout)
	if res := install(); res.Code != 0 || !bytes.Contains(res.Stdout, []byte("nothing changed")) {
		t.Errorf("second config --install: %s; want nothing changed", res)
	}

	sshEcho(t, c, "h1")
	sshEcho(t, c, "h1")
	if got := sshd.Logins(); got != 1 {
		t.Errorf("logins after two ssh h1 = %d; want 1", got)
	}
	if m := masterFor(t, c, bin, "h1"); m == nil {
		t.Errorf("no master for h1 in status")
	}

	sshEcho(t, c, "hjump")
	sshEcho(t, c, "hjump")
	if got := sshd.Logins(); got != 3 {
		t.Errorf("logins after two ssh hjump = %d; want 3 (bastion and target, once each)", got)
	}
	if m := masterFor(t, c, bin, "hjump"); m == nil || m.Via == "" {
		t.Errorf("master for hjump = %+v; want one VIA the bastion", m)
	}

	before := len(c.Masters(bin))
	sshEcho(t, c, "plain")
	if got := sshd.Logins(); got != 4 {
		t.Errorf("logins after ssh plain = %d; want 4 (its own)", got)
	}
	if m := masterFor(t, c, bin, "plain"); m != nil || len(c.Masters(bin)) != before {
		t.Errorf("ssh plain started a master: %+v", c.Masters(bin))
	}

	c.StopMasters(bin)
	res = harness.Run(t, sshTimeout, c.Command(bin, "config", "--uninstall"))
	if res.Code != 0 {
		t.Fatalf("config --uninstall: %s", res)
	}
	got, err := os.ReadFile(c.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, orig) {
		t.Errorf("config after --uninstall:\n%s\nwant the original:\n%s", got, orig)
	}
	if _, err := os.Stat(filepath.Join(c.ShareDir(), "config")); !os.IsNotExist(err) {
		t.Errorf("sshshare's config file after --uninstall: %v; want it gone", err)
	}
}

// configUserSetup writes a user's ssh config as found in the field: an
// Include file with a host in it, a bastion and a host behind it, an
// unmatched host, and `Host *` with ControlMaster auto.
func configUserSetup(t *testing.T, c *harness.Client) {
	t.Helper()
	c.AddHost("bastion")
	// Another HostName than h1's: one user@host:port is one mux socket,
	// whose master the mux door would let every alias of it ride.
	c.AddHost("hjump", "HostName localhost", "ProxyJump bastion")
	c.AddHost("plain")
	included := filepath.Join(c.Home, ".ssh", "hosts.conf")
	if err := os.Rename(c.ConfigPath, included); err != nil {
		t.Fatal(err)
	}
	c.AppendConfig("# my hosts", "Include "+included, "")
	c.AddHost("h1")
	c.AppendConfig("Host *",
		"  ControlMaster auto",
		"  ControlPath "+filepath.Join(c.Home, ".ssh", "cm-%C"))
}

// sshEcho runs `ssh alias echo hi` and fails the test unless it prints hi.
func sshEcho(t *testing.T, c *harness.Client, alias string) {
	t.Helper()
	res := harness.Run(t, sshTimeout, c.SSH(alias, "echo", "hi"))
	if res.Code != 0 || string(res.Stdout) != "hi\n" {
		t.Fatalf("ssh %s echo hi: %s", alias, res)
	}
}

// configMaster is the part of a master's status this test reads.
type configMaster struct {
	Alias  string `json:"alias"`
	Target string `json:"target"`
	Via    string `json:"via"`
}

// masterFor is the running master for alias, or nil.
func masterFor(t *testing.T, c *harness.Client, bin, alias string) *configMaster {
	t.Helper()
	res := harness.Run(t, 20*time.Second, c.Command(bin, "status", "--json"))
	var masters []configMaster
	if res.Code != 0 || json.Unmarshal(res.Stdout, &masters) != nil {
		t.Fatalf("sshshare status --json: %s", res)
	}
	for _, m := range masters {
		if m.Alias == alias || strings.HasPrefix(m.Target, alias) {
			return &m
		}
	}
	return nil
}
