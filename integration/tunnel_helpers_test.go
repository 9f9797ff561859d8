package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// Aliases of the tunnel tests' ssh config.
const (
	tunnelBastion = "bastion" // plain Host block: the jump host's own login
	tunnelTarget  = "target"  // ProxyCommand sshshare --via bastion
)

// tunnelEnv is a bastion sshd and a target sshd on distinct ports, and a
// client that logs in to both with one key: "bastion" is a plain Host
// block for the bastion, "target" reaches the target through sshshare
// --via bastion.
type tunnelEnv struct {
	bastion, target *harness.SSHD
	c               *harness.Client
	bin             string
}

// newTunnelEnv starts both sshds and writes the client's config.
func newTunnelEnv(t *testing.T) *tunnelEnv {
	t.Helper()
	return newTunnelEnvWith(t, harness.SSHDOptions{})
}

// newTunnelEnvWith is newTunnelEnv with the bastion's sshd started with
// opts and bastionLines added to its Host block.
func newTunnelEnvWith(t *testing.T, opts harness.SSHDOptions, bastionLines ...string) *tunnelEnv {
	t.Helper()
	e := &tunnelEnv{
		bastion: harness.StartSSHD(t, opts),
		target:  harness.StartSSHD(t, harness.SSHDOptions{}),
		bin:     harness.Binary(t),
	}
	e.c = harness.NewClient(t, e.bastion)
	e.c.AddSSHD(e.target)
	e.c.AddHost(tunnelBastion, bastionLines...)
	e.addTunnel(tunnelTarget, tunnelBastion, e.target.Port)
	return e
}

// addTunnel adds alias for 127.0.0.1:port reached through --via via.
func (e *tunnelEnv) addTunnel(alias, via string, port int) {
	e.c.AddTunnelHost(alias, e.bin, via, "Port "+strconv.Itoa(port))
}

// targetAddr is the target sshd as the bastion dials it, "127.0.0.1:PORT".
func (e *tunnelEnv) targetAddr() string { return e.target.Addr() }

// mustSSH runs ssh with args and fails the test unless it exits 0; it
// returns the result.
func (e *tunnelEnv) mustSSH(t *testing.T, args ...string) harness.Result {
	t.Helper()
	res := harness.Run(t, sshTimeout, e.c.SSH(args...))
	if res.Code != 0 {
		t.Fatalf("ssh %s: %s; want exit 0\nmaster logs:\n%s", strings.Join(args, " "), res, e.c.MasterLogs())
	}
	return res
}

// master returns the status of the one master whose target's host is
// host, failing the test if there is not exactly one.
func (e *tunnelEnv) master(t *testing.T, host string) harness.TunnelStatus {
	t.Helper()
	var found []harness.TunnelStatus
	all := e.c.TunnelMasters(e.bin)
	for _, m := range all {
		if tunnelTargetHost(m.Target) == host {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("status: %d masters for %s; want 1\nall: %+v", len(found), host, all)
	}
	return found[0]
}

// waitTunnels polls status until the master for host reports at least n
// live tunnels, each of want among its targets, and returns that status.
func (e *tunnelEnv) waitTunnels(t *testing.T, host string, n int, want ...string) harness.TunnelStatus {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := e.master(t, host)
		if m.Tunnels >= n && tunnelHasAll(m.TunnelTargets, want) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("status of %s after 10s: tunnels %d, tunnel_targets %q; want >= %d tunnels to %q",
				host, m.Tunnels, m.TunnelTargets, n, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tunnelHasAll reports whether every one of want is in have.
func tunnelHasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// tunnelTargetHost returns HOST of a status target "user@HOST:port".
func tunnelTargetHost(target string) string {
	_, hostPort, _ := strings.Cut(target, "@")
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		return hostPort
	}
	return host
}

// tunnelWaitStderr polls until p's stderr contains s, or fails the test.
func tunnelWaitStderr(t *testing.T, p *harness.Proc, s string) {
	t.Helper()
	deadline := time.Now().Add(sshTimeout)
	for !strings.Contains(p.Stderr(), s) {
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("%s: no %q on stderr (exited %v)\nstderr:\n%s", p.Cmd, s, p.Exited(), p.Stderr())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// tunnelSSHShareLines returns the lines of stderr that sshshare wrote,
// hints left out.
func tunnelSSHShareLines(stderr []byte) []string {
	var out []string
	for _, line := range strings.Split(string(stderr), "\n") {
		if strings.HasPrefix(line, "sshshare:") && !strings.HasPrefix(line, "sshshare: hint:") {
			out = append(out, line)
		}
	}
	return out
}

// tunnelClosedPort returns a port of 127.0.0.1 that nothing listens on: it
// was bound a moment ago and released.
func tunnelClosedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pick port: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatalf("release port: %v", err)
	}
	return port
}

// tunnelSHA256 returns the hex SHA-256 of b.
func tunnelSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// tunnelFileSHA256 returns the hex SHA-256 of the file at path.
func tunnelFileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return tunnelSHA256(b)
}
