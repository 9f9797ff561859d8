package invoke

import (
	"context"
	"net"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/localhop"
	"github.com/sshshare/sshshare/share/upstream"
)

// Stopped explains a connection to this invocation's master that ended
// because the master was stopped on request, or returns nil.
func (inv *Invocation) Stopped(conn net.Conn) error { return inv.stopped(conn) }

// tunnel asks this invocation's master, if one runs, for a tunnel to
// host:port: no lock, no start-up (see Chain.Dial).
func (inv *Invocation) tunnel(host string, port int) (net.Conn, error) {
	return control.Dial(inv.Socket, control.Hello{Version: control.ProtocolVersion, Op: control.OpTunnel, Host: host, Port: port})
}

// EnsureLoggedIn connects to (or starts) the master and waits for its
// login, answering its questions here as `sshshare start` does.
func (inv *Invocation) EnsureLoggedIn(ctx context.Context) error {
	conn, starting, err := inv.connect(ctx, false)
	if err != nil {
		return err
	}
	defer conn.Close()
	keys, err := localhop.HostKeys(inv.StateDir)
	if err != nil {
		return err
	}
	ask := inv.Prompt
	if ask == nil {
		ask = func(upstream.Question) ([]string, error) { return nil, ErrNoTerminal }
	}
	loginErr := startClient(ctx, conn, keys.HostKeyCallback(), inv.Target.User, ask)
	if starting != nil {
		if err := starting.Wait(); err != nil {
			return err
		}
	}
	return loginErr
}
