package integration

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// tunnelChainEnv adds a third sshd, "jump", to a tunnelEnv: a plain Host
// block for it, and "far", the target reached with --via bastion,jump.
type tunnelChainEnv struct {
	*tunnelEnv
	jump *harness.SSHD
}

// Aliases of the chain tests.
const (
	tunnelJump = "jump"
	tunnelFar  = "far"
)

func newTunnelChainEnv(t *testing.T) *tunnelChainEnv {
	t.Helper()
	e := &tunnelChainEnv{tunnelEnv: newTunnelEnv(t), jump: harness.StartSSHD(t, harness.SSHDOptions{})}
	e.c.AddSSHD(e.jump)
	e.c.AddHost(tunnelJump, "Port "+strconv.Itoa(e.jump.Port))
	e.addTunnel(tunnelFar, tunnelBastion+","+tunnelJump, e.target.Port)
	return e
}

// checkChainMasters checks status: two tunnel masters, the bastion's
// (first hop, no via) tunnelling to jump, and jump's (via bastion).
func (e *tunnelChainEnv) checkChainMasters(t *testing.T) (bastion, jump harness.TunnelStatus) {
	t.Helper()
	all := e.c.TunnelMasters(e.bin)
	if len(all) != 2 {
		t.Fatalf("status lists %d masters; want 2 (bastion and jump)\n%+v", len(all), all)
	}
	bastion, jump = e.master(t, tunnelBastion), e.master(t, tunnelJump)
	for _, m := range []harness.TunnelStatus{bastion, jump} {
		if m.Mode != "tunnel" {
			t.Errorf("master %s: mode %q; want \"tunnel\"", m.Target, m.Mode)
		}
	}
	if bastion.Via != "" {
		t.Errorf("bastion master: via %q; want \"\"", bastion.Via)
	}
	if jump.Via != tunnelBastion {
		t.Errorf("jump master: via %q; want %q", jump.Via, tunnelBastion)
	}
	if !slices.Contains(bastion.TunnelTargets, e.jump.Addr()) {
		t.Errorf("bastion master: tunnel_targets %q; want it to hold jump's %s", bastion.TunnelTargets, e.jump.Addr())
	}
	return bastion, jump
}

// TestTunnelChain: --via bastion,jump reaches the target through a master
// for each hop, jump's riding on the bastion's: two ssh commands make one
// login to each jump host and two to the target, and status shows both
// masters, jump's with the target among its tunnels while a session runs.
// `sshshare stop bastion` ends both masters (jump's loses its upstream),
// and the next ssh through the chain works again with fresh logins.
func TestTunnelChain(t *testing.T) {
	e := newTunnelChainEnv(t)
	for i := range 2 {
		res := e.mustSSH(t, tunnelFar, "echo", "far"+strconv.Itoa(i))
		if got, want := string(res.Stdout), "far"+strconv.Itoa(i)+"\n"; got != want {
			t.Errorf("ssh far echo: stdout %q; want %q", got, want)
		}
	}

	live := e.c.SSH(tunnelFar, "echo started >&2; read line")
	if _, err := live.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	p := harness.Start(t, live)
	tunnelWaitStderr(t, p, "started")
	bastion, jump := e.checkChainMasters(t)
	e.waitTunnels(t, tunnelJump, 1, e.targetAddr())
	p.Kill()
	e.checkLogins(t, "after 3 ssh", 1, 1, 3)

	// Stopping the first hop takes jump's upstream with it: jump's master
	// goes too, and the next ssh brings both back.
	res := harness.Run(t, sshTimeout, e.c.Command(e.bin, "stop", tunnelBastion))
	if res.Code != 0 {
		t.Fatalf("sshshare stop %s: %s; want exit 0", tunnelBastion, res)
	}
	for _, m := range []harness.TunnelStatus{bastion, jump} {
		if !harness.WaitPidGone(m.Pid, 5*time.Second) {
			t.Errorf("master %s (pid %d) still running 5s after sshshare stop %s", m.Target, m.Pid, tunnelBastion)
		}
	}
	e.mustSSH(t, tunnelFar, "true")
	e.checkChainMasters(t)
	e.checkLogins(t, "after stop and one more ssh", 2, 2, 4)
}

// checkLogins checks each sshd's login count.
func (e *tunnelChainEnv) checkLogins(t *testing.T, when string, bastion, jump, target int) {
	t.Helper()
	for _, tc := range []struct {
		name string
		sshd *harness.SSHD
		want int
	}{
		{"bastion", e.bastion, bastion},
		{"jump", e.jump, jump},
		{"target", e.target, target},
	} {
		if got := tc.sshd.Logins(); got != tc.want {
			t.Errorf("%s: %s sshd logins = %d; want %d", when, tc.name, got, tc.want)
		}
	}
}

// TestTunnelStartVia: `sshshare start --via bastion jump` brings up both
// hop masters ahead of time, keyed as the ProxyCommand keys them, so the
// next ssh through the chain makes no jump host login of its own.
func TestTunnelStartVia(t *testing.T) {
	e := newTunnelChainEnv(t)
	res := harness.Run(t, sshTimeout, e.c.Command(e.bin, "start", "-F", e.c.ConfigPath,
		"--control-path", e.c.ShareControlPath(), "--via", tunnelBastion, tunnelJump))
	if res.Code != 0 {
		t.Fatalf("sshshare start --via bastion jump: %s; want exit 0\nmaster logs:\n%s", res, e.c.MasterLogs())
	}
	socket := strings.TrimSpace(string(res.Stdout))
	_, jump := e.checkChainMasters(t)
	if socket != jump.Socket {
		t.Errorf("start printed %q; want jump's socket %q", socket, jump.Socket)
	}

	e.mustSSH(t, tunnelFar, "true")
	e.checkLogins(t, "after start and one ssh", 1, 1, 1)
}
