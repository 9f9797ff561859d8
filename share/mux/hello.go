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

func (m *Hello) appendFields(b []byte) []byte {
	b = appendUint32(b, m.Version)
	for _, e := range m.Extensions {
		b = appendString(b, e.Name)
		b = appendString(b, e.Value)
	}
	return b
}

// decodeFields reads pairs to the end of the packet; a truncated pair is
// an error, as it fails OpenSSH's hello.
func (m *Hello) decodeFields(d *decoder) {
	m.Version = d.uint32()
	for d.err == nil && len(d.b) > 0 {
		e := Extension{Name: d.string(), Value: d.string()}
		m.Extensions = append(m.Extensions, e)
	}
}
