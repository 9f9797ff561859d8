package mux

// The requests a client sends after its Hello (§2.3). Each carries a
// request id, which the client starts at 0 and increments after each
// successful exchange; the master's reply must echo it exactly, or the
// client exits 255.

// EscapeNone is the NewSession.EscapeChar of a client run with
// EscapeChar none.
const EscapeNone = 0xffffffff

// NewSession is MUX_C_NEW_SESSION: run a command, a shell or a subsystem
// on the client's stdin, stdout and stderr. The three descriptors follow
// the packet on the socket, one per one-byte message, and must be
// received separately (see ReadPacket). It is answered by SessionOpened,
// never by OK, or by Failure or PermissionDenied, on which the client
// falls back to its normal connection.
type NewSession struct {
	RequestID uint32
	// Reserved is sent empty and ignored; it is kept so that a packet
	// re-encodes as it came.
	Reserved string
	// WantTTY is the client's final tty decision (-t, -tt, RequestTTY, a
	// shell on a terminal; off with -T, -N or stdin not a terminal).
	WantTTY bool
	// WantX11 and WantAgent are the client's ForwardX11 and ForwardAgent.
	WantX11, WantAgent bool
	// Subsystem makes Command a subsystem name (-s; sftp, scp).
	Subsystem bool
	// EscapeChar is sent even without a tty: '~' by default, EscapeNone
	// when disabled.
	EscapeChar uint32
	// Term is sent even without a tty, possibly empty.
	Term string
	// Command is the remote command joined with spaces, or empty for a
	// shell (which is also what -N looks like).
	Command string
	// Env holds "NAME=VALUE" strings, after the client's SendEnv and
	// SetEnv; it runs to the end of the packet.
	Env []string
}

// Type returns MsgNewSession.
func (*NewSession) Type() MsgType { return MsgNewSession }

func (m *NewSession) appendFields(b []byte) []byte {
	b = appendUint32(b, m.RequestID)
	b = appendString(b, m.Reserved)
	b = appendBool(b, m.WantTTY)
	b = appendBool(b, m.WantX11)
	b = appendBool(b, m.WantAgent)
	b = appendBool(b, m.Subsystem)
	b = appendUint32(b, m.EscapeChar)
	b = appendString(b, m.Term)
	b = appendString(b, m.Command)
	for _, e := range m.Env {
		b = appendString(b, e)
	}
	return b
}

func (m *NewSession) decodeFields(d *decoder) {
	m.RequestID = d.uint32()
	m.Reserved = d.string()
	m.WantTTY = d.bool()
	m.WantX11 = d.bool()
	m.WantAgent = d.bool()
	m.Subsystem = d.bool()
	m.EscapeChar = d.uint32()
	m.Term = d.string()
	m.Command = d.string()
	for d.err == nil && len(d.b) > 0 {
		m.Env = append(m.Env, d.string())
	}
}

// AliveCheck is MUX_C_ALIVE_CHECK (ssh -O check, and before every
// session), answered by Alive; any other reply is fatal to the client.
type AliveCheck struct {
	RequestID uint32
}

// Type returns MsgAliveCheck.
func (*AliveCheck) Type() MsgType { return MsgAliveCheck }

func (m *AliveCheck) appendFields(b []byte) []byte { return appendUint32(b, m.RequestID) }
func (m *AliveCheck) decodeFields(d *decoder)      { m.RequestID = d.uint32() }

// Terminate is MUX_C_TERMINATE (ssh -O exit), answered by OK.
type Terminate struct {
	RequestID uint32
}

// Type returns MsgTerminate.
func (*Terminate) Type() MsgType { return MsgTerminate }

func (m *Terminate) appendFields(b []byte) []byte { return appendUint32(b, m.RequestID) }
func (m *Terminate) decodeFields(d *decoder)      { m.RequestID = d.uint32() }

// StopListening is MUX_C_STOP_LISTENING (ssh -O stop), answered by OK.
type StopListening struct {
	RequestID uint32
}

// Type returns MsgStopListening.
func (*StopListening) Type() MsgType { return MsgStopListening }

func (m *StopListening) appendFields(b []byte) []byte { return appendUint32(b, m.RequestID) }
func (m *StopListening) decodeFields(d *decoder)      { m.RequestID = d.uint32() }

// Proxy is MUX_C_PROXY (ssh -O proxy, OpenSSH 7.4+), answered by
// ProxyReply, after which the socket carries SSH connection-layer
// packets (§8.3).
type Proxy struct {
	RequestID uint32
}

// Type returns MsgProxy.
func (*Proxy) Type() MsgType { return MsgProxy }

func (m *Proxy) appendFields(b []byte) []byte { return appendUint32(b, m.RequestID) }
func (m *Proxy) decodeFields(d *decoder)      { m.RequestID = d.uint32() }

// ForwardType says which kind of forward a Forward is.
type ForwardType uint32

// The forward types of OpenSSH's mux.c.
const (
	// ForwardLocal is -L.
	ForwardLocal ForwardType = 1
	// ForwardRemote is -R, including remote dynamic -R port, whose
	// connect side is "socks":0.
	ForwardRemote ForwardType = 2
	// ForwardDynamic is -D, whose connect side is "socks":0.
	ForwardDynamic ForwardType = 3
)

// PortStreamLocal as a port means the matching host field is a Unix
// socket path (OpenSSH's PORT_STREAMLOCAL, -2).
const PortStreamLocal = 0xfffffffe

// Forward is the body shared by OpenForward and CloseForward.
type Forward struct {
	// Kind is named so because OpenForward's Type method would hide a
	// promoted field called Type.
	Kind ForwardType
	// ListenHost "" is the default bind address (loopback unless
	// GatewayPorts); "*" is every address.
	ListenHost  string
	ListenPort  uint32
	ConnectHost string
	ConnectPort uint32
}

func (f *Forward) appendFields(b []byte) []byte {
	b = appendUint32(b, uint32(f.Kind))
	b = appendString(b, f.ListenHost)
	b = appendUint32(b, f.ListenPort)
	b = appendString(b, f.ConnectHost)
	return appendUint32(b, f.ConnectPort)
}

// decodeFields keeps an unknown forward type as it came: whether to
// refuse it is the caller's decision.
func (f *Forward) decodeFields(d *decoder) {
	f.Kind = ForwardType(d.uint32())
	f.ListenHost = d.string()
	f.ListenPort = d.uint32()
	f.ConnectHost = d.string()
	f.ConnectPort = d.uint32()
}

// OpenForward is MUX_C_OPEN_FWD (-L, -R, -D with a session, or
// ssh -O forward), answered by OK, by RemotePort for -R 0:…, or by
// Failure or PermissionDenied.
type OpenForward struct {
	RequestID uint32
	Forward
}

// Type returns MsgOpenForward.
func (*OpenForward) Type() MsgType { return MsgOpenForward }

func (m *OpenForward) appendFields(b []byte) []byte {
	return m.Forward.appendFields(appendUint32(b, m.RequestID))
}

func (m *OpenForward) decodeFields(d *decoder) {
	m.RequestID = d.uint32()
	m.Forward.decodeFields(d)
}

// CloseForward is MUX_C_CLOSE_FWD (ssh -O cancel), answered by OK, or by
// Failure, which the client prints but still exits 0.
type CloseForward struct {
	RequestID uint32
	Forward
}

// Type returns MsgCloseForward.
func (*CloseForward) Type() MsgType { return MsgCloseForward }

func (m *CloseForward) appendFields(b []byte) []byte {
	return m.Forward.appendFields(appendUint32(b, m.RequestID))
}

func (m *CloseForward) decodeFields(d *decoder) {
	m.RequestID = d.uint32()
	m.Forward.decodeFields(d)
}

// NewStdioForward is MUX_C_NEW_STDIO_FWD (ssh -W, hence ProxyJump through
// the shared host). Two descriptors (stdin, stdout) follow the packet as
// for NewSession. It is answered by SessionOpened; refusing it is fatal
// to the client, with no fallback.
type NewStdioForward struct {
	RequestID uint32
	// Reserved is sent empty and ignored, as in NewSession.
	Reserved string
	// Host is a Unix socket path when Port is PortStreamLocal
	// (ssh -W /path, OpenSSH 9.4+).
	Host string
	// Port is a uint32 on the wire, not the string PROTOCOL.mux says.
	Port uint32
}

// Type returns MsgNewStdioForward.
func (*NewStdioForward) Type() MsgType { return MsgNewStdioForward }

func (m *NewStdioForward) appendFields(b []byte) []byte {
	b = appendUint32(b, m.RequestID)
	b = appendString(b, m.Reserved)
	b = appendString(b, m.Host)
	return appendUint32(b, m.Port)
}

func (m *NewStdioForward) decodeFields(d *decoder) {
	m.RequestID = d.uint32()
	m.Reserved = d.string()
	m.Host = d.string()
	m.Port = d.uint32()
}

// ExtInfo is MUX_C_EXT_INFO (ssh -O conninfo / -O channels, OpenSSH
// 10.3+). A client sends it only to a master whose Hello advertised
// "info", so a master that does not advertise it never sees one.
type ExtInfo struct {
	RequestID uint32
	// Name is "connection" or "channels".
	Name string
}

// Type returns MsgExtInfo.
func (*ExtInfo) Type() MsgType { return MsgExtInfo }

func (m *ExtInfo) appendFields(b []byte) []byte {
	return appendString(appendUint32(b, m.RequestID), m.Name)
}

func (m *ExtInfo) decodeFields(d *decoder) {
	m.RequestID = d.uint32()
	m.Name = d.string()
}
