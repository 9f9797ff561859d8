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

func (m *NewSession) fields() []any {
	return []any{&m.RequestID, &m.Reserved, &m.WantTTY, &m.WantX11, &m.WantAgent, &m.Subsystem,
		&m.EscapeChar, &m.Term, &m.Command, &m.Env}
}

// AliveCheck is MUX_C_ALIVE_CHECK (ssh -O check, and before every
// session), answered by Alive; any other reply is fatal to the client.
type AliveCheck struct {
	RequestID uint32
}

// Type returns MsgAliveCheck.
func (*AliveCheck) Type() MsgType { return MsgAliveCheck }

func (m *AliveCheck) fields() []any { return []any{&m.RequestID} }

// Terminate is MUX_C_TERMINATE (ssh -O exit), answered by OK.
type Terminate struct {
	RequestID uint32
}

// Type returns MsgTerminate.
func (*Terminate) Type() MsgType { return MsgTerminate }

func (m *Terminate) fields() []any { return []any{&m.RequestID} }

// StopListening is MUX_C_STOP_LISTENING (ssh -O stop), answered by OK.
type StopListening struct {
	RequestID uint32
}

// Type returns MsgStopListening.
func (*StopListening) Type() MsgType { return MsgStopListening }

func (m *StopListening) fields() []any { return []any{&m.RequestID} }

// Proxy is MUX_C_PROXY (ssh -O proxy, OpenSSH 7.4+), answered by
// ProxyReply, after which the socket carries SSH connection-layer
// packets (§8.3).
type Proxy struct {
	RequestID uint32
}

// Type returns MsgProxy.
func (*Proxy) Type() MsgType { return MsgProxy }

func (m *Proxy) fields() []any { return []any{&m.RequestID} }

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

// forwardFields is the layout of OpenForward and CloseForward: the
// request id, then f. An unknown forward type is kept as it came: whether
// to refuse it is the caller's decision.
func forwardFields(rid *uint32, f *Forward) []any {
	return []any{rid, &f.Kind, &f.ListenHost, &f.ListenPort, &f.ConnectHost, &f.ConnectPort}
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

func (m *OpenForward) fields() []any { return forwardFields(&m.RequestID, &m.Forward) }

// CloseForward is MUX_C_CLOSE_FWD (ssh -O cancel), answered by OK, or by
// Failure, which the client prints but still exits 0.
type CloseForward struct {
	RequestID uint32
	Forward
}

// Type returns MsgCloseForward.
func (*CloseForward) Type() MsgType { return MsgCloseForward }

func (m *CloseForward) fields() []any { return forwardFields(&m.RequestID, &m.Forward) }

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

func (m *NewStdioForward) fields() []any { return []any{&m.RequestID, &m.Reserved, &m.Host, &m.Port} }

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

func (m *ExtInfo) fields() []any { return []any{&m.RequestID, &m.Name} }
