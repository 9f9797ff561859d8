package mux

// Hello is MUX_MSG_HELLO, the first packet each way (§2.3). The master
// sends its own as soon as it accepts, before reading anything: a client
// older than OpenSSH 9.4 waits for it forever. Unlike every other message
// it has no request id, and nobody replies to it.
type Hello struct {
	// Version must be ProtocolVersion; checking it is the caller's job.
	Version uint32
	// Extensions are name/value pairs, in the order sent. Both sides
	// ignore the ones they do not know; OpenSSH 10.3+ masters send
	// "info" = "0".
	Extensions []Extension
}

// Extension is one name/value pair of a Hello.
type Extension struct {
	Name, Value string
}

// Type returns MsgHello.
func (*Hello) Type() MsgType { return MsgHello }

func (m *Hello) fields() []any { return []any{&m.Version, &m.Extensions} }
