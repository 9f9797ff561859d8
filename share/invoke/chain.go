package invoke

import (
	"context"
	"net"

	"github.com/sshshare/sshshare/share/upstream"
)

// Chain is a --via chain of jump hosts in tunnel mode, one invocation per
// hop: the master for each hop reaches its host through the hops before
// it, and the last one opens the tunnel to the target.
type Chain struct {
	Hops []*Invocation
}

// NewChain builds the chain for a --via value "a,b,c". newHop returns the
// invocation for one jump host, given the --via value of the hops before
// it (its own master's upstream goes through them).
func NewChain(via string, newHop func(hop upstream.Target, before string) (*Invocation, error)) (*Chain, error) {
	hops, err := upstream.ParseVia(via)
	if err != nil {
		return nil, err
	}
	c := &Chain{Hops: make([]*Invocation, len(hops))}
	for i, hop := range hops {
		if c.Hops[i], err = newHop(hop, upstream.JoinVia(hops[:i])); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Last is the invocation of the last jump host, whose master opens the
// tunnels.
func (c *Chain) Last() *Invocation { return c.Hops[len(c.Hops)-1] }

// Detached makes the chain never ask the user anything: it is how a
// detached master dials its upstream through the masters of its own jump
// hosts, which the invocation brought up (and asked their questions)
// before it.
func (c *Chain) Detached() {
	for _, inv := range c.Hops {
		inv.Prompt, inv.CanPrompt = nil, nil
	}
}

// EnsureLoggedIn brings every hop's master up in order, so each one's
// questions are asked here.
func (c *Chain) EnsureLoggedIn(ctx context.Context) error {
	for _, inv := range c.Hops {
		if err := inv.EnsureLoggedIn(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Dial opens a tunnel to host:port through the chain's last master. When
// that fails for want of a master, every hop is brought up in order first,
// each asking its questions here, and the tunnel asked for once more.
func (c *Chain) Dial(ctx context.Context, host string, port int) (net.Conn, error) {
	conn, err := c.Last().tunnel(host, port)
	if settled(err) {
		return conn, err
	}
	if err := c.EnsureLoggedIn(ctx); err != nil {
		return nil, err
	}
	return c.Last().tunnel(host, port)
}
