package mux

// The master's replies (§2.3). Most echo the request id of the request
// they answer; ExitMessage and TTYAllocFail are tied to a session and
// carry the session id that SessionOpened gave instead.

// OK is MUX_S_OK, the reply to Terminate, StopListening, OpenForward and
// CloseForward. It must never answer NewSession, whatever PROTOCOL.mux
// says: the client then falls back to its normal connection.
type OK struct {
	RequestID uint32
}

// Type returns MsgOK.
func (*OK) Type() MsgType { return MsgOK }

func (m *OK) fields() []any { return []any{&m.RequestID} }

// PermissionDenied is MUX_S_PERMISSION_DENIED, a refusal by policy
// (OpenSSH's ControlMaster ask); the client shows Reason.
type PermissionDenied struct {
	RequestID uint32
	Reason    string
}

// Type returns MsgPermissionDenied.
func (*PermissionDenied) Type() MsgType { return MsgPermissionDenied }

func (m *PermissionDenied) fields() []any { return []any{&m.RequestID, &m.Reason} }

// Failure is MUX_S_FAILURE; the client shows Reason. To NewSession it is a
// clean fallback to the client's normal connection (the note's §7 says
// which requests may safely be refused).
type Failure struct {
	RequestID uint32
	Reason    string
}

// Type returns MsgFailure.
func (*Failure) Type() MsgType { return MsgFailure }

func (m *Failure) fields() []any { return []any{&m.RequestID, &m.Reason} }

// ExitMessage is MUX_S_EXIT_MESSAGE: the session's exit status. The
// client keeps reading until the master closes the socket, then exits
// with the low 8 bits of ExitValue; a second one is fatal to it.
type ExitMessage struct {
	SessionID uint32
	ExitValue uint32
}

// Type returns MsgExitMessage.
func (*ExitMessage) Type() MsgType { return MsgExitMessage }

func (m *ExitMessage) fields() []any { return []any{&m.SessionID, &m.ExitValue} }

// Alive is MUX_S_ALIVE, the reply to AliveCheck. The client keeps PID and
// sends it SIGWINCH when its terminal is resized, so it must be the
// master's own pid; 0 fails the client's check.
type Alive struct {
	RequestID uint32
	PID       uint32
}

// Type returns MsgAlive.
func (*Alive) Type() MsgType { return MsgAlive }

func (m *Alive) fields() []any { return []any{&m.RequestID, &m.PID} }

// SessionOpened is MUX_S_SESSION_OPENED, the reply to NewSession and
// NewStdioForward. SessionID is the master's choice (OpenSSH uses its
// channel number); ExitMessage and TTYAllocFail must carry the same.
type SessionOpened struct {
	RequestID uint32
	SessionID uint32
}

// Type returns MsgSessionOpened.
func (*SessionOpened) Type() MsgType { return MsgSessionOpened }

func (m *SessionOpened) fields() []any { return []any{&m.RequestID, &m.SessionID} }

// RemotePort is MUX_S_REMOTE_PORT, the reply to an OpenForward of -R 0:…
// with the port the server allocated (ssh -O forward prints it on
// stdout).
type RemotePort struct {
	RequestID uint32
	Port      uint32
}

// Type returns MsgRemotePort.
func (*RemotePort) Type() MsgType { return MsgRemotePort }

func (m *RemotePort) fields() []any { return []any{&m.RequestID, &m.Port} }

// TTYAllocFail is MUX_S_TTY_ALLOC_FAIL: the server refused the session's
// pty-req. The client leaves raw mode and keeps waiting.
type TTYAllocFail struct {
	SessionID uint32
}

// Type returns MsgTTYAllocFail.
func (*TTYAllocFail) Type() MsgType { return MsgTTYAllocFail }

func (m *TTYAllocFail) fields() []any { return []any{&m.SessionID} }

// ProxyReply is MUX_S_PROXY, the reply to Proxy. Its layout, type and
// request id, is OpenSSH's mux_master_process_proxy; the note names the
// reply but gives no layout for it.
type ProxyReply struct {
	RequestID uint32
}

// Type returns MsgProxyReply.
func (*ProxyReply) Type() MsgType { return MsgProxyReply }

func (m *ProxyReply) fields() []any { return []any{&m.RequestID} }

// ExtInfoStatusOK is the ExtInfoReply.Status of an answered request.
const ExtInfoStatusOK = 1

// ExtInfoReply is MUX_S_EXT_INFO, the reply to ExtInfo (OpenSSH 10.3+).
type ExtInfoReply struct {
	RequestID uint32
	Status    uint32
	Text      string
}

// Type returns MsgExtInfoReply.
func (*ExtInfoReply) Type() MsgType { return MsgExtInfoReply }

func (m *ExtInfoReply) fields() []any { return []any{&m.RequestID, &m.Status, &m.Text} }
