package upstream

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"

	"github.com/sshshare/sshshare/share/hint"
)

// dialFunc opens the connection an upstream login runs on.
type dialFunc func(ctx context.Context, host string, port int) (net.Conn, error)

// route is how the connection to the target is opened: Transport when it
// is set (an explicit --via chain, which overrides the config's route as
// ssh -J does, or a test), else the config's route: its ProxyCommand or
// its ProxyJump; nil means TCP, as the config's network keywords say.
func (d *Dialer) route() dialFunc {
	switch {
	case d.Transport != nil:
		return d.Transport
	case d.Config.ProxyCommand != "":
		return d.proxyCommand
	case len(d.Config.ProxyJump) > 0:
		return d.jump
	}
	return nil
}

// jump connects through the masters of the ProxyJump hosts.
func (d *Dialer) jump(ctx context.Context, host string, port int) (net.Conn, error) {
	if d.Jump == nil {
		return nil, fmt.Errorf("ProxyJump %s: no way to reach the jump hosts' masters", JoinVia(d.Config.ProxyJump))
	}
	return d.Jump(ctx, d.Config.ProxyJump, host, port)
}

// proxyCommand starts the config's ProxyCommand as ssh does and returns
// its stdio as the connection.
func (d *Dialer) proxyCommand(ctx context.Context, host string, port int) (net.Conn, error) {
	if RunsSSHShare(d.Config.ProxyCommand, "") {
		return nil, hint.With(fmt.Errorf("ProxyCommand %s runs sshshare: the master would connect to itself", d.Config.ProxyCommand),
			"write the upstream route after sshshare's ProxyCommand line, not through sshshare")
	}
	alias := d.Target.configHost()
	keyAlias := alias
	if d.Config.HostKeyAlias != "" {
		keyAlias = d.Config.HostKeyAlias
	}
	line, err := expandProxyCommand(d.Config.ProxyCommand, map[byte]string{
		'h': host, 'p': strconv.Itoa(port), 'r': d.Config.User, 'n': alias, 'k': keyAlias,
	})
	if err != nil {
		return nil, err
	}
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return startCommand(d.Shell, line, log, d.Stderr)
}

// expandProxyCommand expands a ProxyCommand's %-tokens as ssh 9.2 does
// (%h %k %n %p %r and %%); an unknown token or a lone % is an error, as
// ssh refuses them.
func expandProxyCommand(cmd string, values map[byte]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(cmd); i++ {
		if cmd[i] != '%' {
			b.WriteByte(cmd[i])
			continue
		}
		i++
		if i == len(cmd) {
			return "", fmt.Errorf("ProxyCommand %s: lone %% at the end", cmd)
		}
		if cmd[i] == '%' {
			b.WriteByte('%')
			continue
		}
		v, ok := values[cmd[i]]
		if !ok {
			return "", fmt.Errorf("ProxyCommand %s: unknown token %%%c", cmd, cmd[i])
		}
		b.WriteString(v)
	}
	return b.String(), nil
}
