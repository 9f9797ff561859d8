package mux

import (
	"errors"
	"fmt"
	"io"
)

// ProtocolVersion is the only version of the protocol: 4 since OpenSSH 5.4,
// and a client refuses a master's HELLO with any other.
const ProtocolVersion = 4

// MsgType is the uint32 that starts every packet body.
type MsgType uint32

// The message numbers of mux.c (§2.2). PROTOCOL.mux §11 lists neither the
// PROXY nor the EXT_INFO pair.
const (
	// MsgHello is MUX_MSG_HELLO, sent by both sides.
	MsgHello MsgType = 0x00000001

	// MsgNewSession is MUX_C_NEW_SESSION.
	MsgNewSession MsgType = 0x10000002
	// MsgAliveCheck is MUX_C_ALIVE_CHECK.
	MsgAliveCheck MsgType = 0x10000004
	// MsgTerminate is MUX_C_TERMINATE.
	MsgTerminate MsgType = 0x10000005
	// MsgOpenForward is MUX_C_OPEN_FWD.
	MsgOpenForward MsgType = 0x10000006
	// MsgCloseForward is MUX_C_CLOSE_FWD.
	MsgCloseForward MsgType = 0x10000007
	// MsgNewStdioForward is MUX_C_NEW_STDIO_FWD.
	MsgNewStdioForward MsgType = 0x10000008
	// MsgStopListening is MUX_C_STOP_LISTENING.
	MsgStopListening MsgType = 0x10000009
	// MsgProxy is MUX_C_PROXY (OpenSSH 7.4+).
	MsgProxy MsgType = 0x1000000f
	// MsgExtInfo is MUX_C_EXT_INFO (OpenSSH 10.3+).
	MsgExtInfo MsgType = 0x20000001

	// MsgOK is MUX_S_OK.
	MsgOK MsgType = 0x80000001
	// MsgPermissionDenied is MUX_S_PERMISSION_DENIED.
	MsgPermissionDenied MsgType = 0x80000002
	// MsgFailure is MUX_S_FAILURE.
	MsgFailure MsgType = 0x80000003
	// MsgExitMessage is MUX_S_EXIT_MESSAGE.
	MsgExitMessage MsgType = 0x80000004
	// MsgAlive is MUX_S_ALIVE.
	MsgAlive MsgType = 0x80000005
	// MsgSessionOpened is MUX_S_SESSION_OPENED.
	MsgSessionOpened MsgType = 0x80000006
	// MsgRemotePort is MUX_S_REMOTE_PORT.
	MsgRemotePort MsgType = 0x80000007
	// MsgTTYAllocFail is MUX_S_TTY_ALLOC_FAIL.
	MsgTTYAllocFail MsgType = 0x80000008
	// MsgProxyReply is MUX_S_PROXY.
	MsgProxyReply MsgType = 0x8000000f
	// MsgExtInfoReply is MUX_S_EXT_INFO.
	MsgExtInfoReply MsgType = 0x90000001
)

var msgNames = map[MsgType]string{
	MsgHello:            "MUX_MSG_HELLO",
	MsgNewSession:       "MUX_C_NEW_SESSION",
	MsgAliveCheck:       "MUX_C_ALIVE_CHECK",
	MsgTerminate:        "MUX_C_TERMINATE",
	MsgOpenForward:      "MUX_C_OPEN_FWD",
	MsgCloseForward:     "MUX_C_CLOSE_FWD",
	MsgNewStdioForward:  "MUX_C_NEW_STDIO_FWD",
	MsgStopListening:    "MUX_C_STOP_LISTENING",
	MsgProxy:            "MUX_C_PROXY",
	MsgExtInfo:          "MUX_C_EXT_INFO",
	MsgOK:               "MUX_S_OK",
	MsgPermissionDenied: "MUX_S_PERMISSION_DENIED",
	MsgFailure:          "MUX_S_FAILURE",
	MsgExitMessage:      "MUX_S_EXIT_MESSAGE",
	MsgAlive:            "MUX_S_ALIVE",
	MsgSessionOpened:    "MUX_S_SESSION_OPENED",
	MsgRemotePort:       "MUX_S_REMOTE_PORT",
	MsgTTYAllocFail:     "MUX_S_TTY_ALLOC_FAIL",
	MsgProxyReply:       "MUX_S_PROXY",
	MsgExtInfoReply:     "MUX_S_EXT_INFO",
}

// String returns OpenSSH's name for t, or its number in hex (as ssh logs
// it) when t is unknown.
func (t MsgType) String() string {
	if s, ok := msgNames[t]; ok {
		return s
	}
	return fmt.Sprintf("0x%08x", uint32(t))
}

// Message is one mux message: a request of the client's or a reply of the
// master's. Only this package's types implement it.
type Message interface {
	// Type is the message number that starts the packet body.
	Type() MsgType
	// fields points at the fields after the type, in wire order, for
	// Marshal and Unmarshal to walk (see appendFields).
	fields() []any
}

// ErrMalformed is the cause, wrapped, of every error decoding a packet
// whose type is known but whose fields do not fit it: too short, or with
// bytes left over. OpenSSH's master closes the connection on such a packet.
var ErrMalformed = errors.New("malformed mux message")

// UnknownTypeError is returned for a packet of a type this package does
// not know. The packet was read in full, so the connection stays usable;
// OpenSSH's master answers MUX_S_FAILURE "unsupported request" with the
// request id and carries on, and a server can do the same with RequestID.
type UnknownTypeError struct {
	Type MsgType
	// RequestID is the word after the type, meaningful only when
	// HasRequestID (the packet was long enough to hold one).
	RequestID    uint32
	HasRequestID bool
}

// Error names the type and, when the packet held one, the request id.
func (e *UnknownTypeError) Error() string {
	if e.HasRequestID {
		return fmt.Sprintf("unknown mux message type %v (request id %d)", e.Type, e.RequestID)
	}
	return fmt.Sprintf("unknown mux message type %v", e.Type)
}

// Marshal encodes m as a packet body: its type, then its fields.
func Marshal(m Message) []byte {
	return appendFields(appendUint32(nil, uint32(m.Type())), m.fields())
}

// Unmarshal decodes a packet body. Fixed layouts must fill the body
// exactly: stock clients send nothing more, and a packet that is more than
// a known layout is refused rather than half understood. An unknown type
// gives an *UnknownTypeError.
func Unmarshal(body []byte) (Message, error) {
	d := &decoder{b: body}
	t := MsgType(d.uint32())
	if d.err != nil {
		return nil, fmt.Errorf("decode mux message of %d bytes: no type: %w", len(body), ErrMalformed)
	}
	m := newMessage(t)
	if m == nil {
		e := &UnknownTypeError{Type: t}
		if rid := d.uint32(); d.err == nil {
			e.RequestID, e.HasRequestID = rid, true
		}
		return nil, e
	}
	d.fields(m.fields())
	if d.err != nil {
		return nil, fmt.Errorf("decode %v: %v: %w", t, d.err, ErrMalformed)
	}
	if len(d.b) > 0 {
		return nil, fmt.Errorf("decode %v: %d bytes left over: %w", t, len(d.b), ErrMalformed)
	}
	return m, nil
}

// Read reads one packet from r and decodes it. Like ReadPacket it never
// reads past the packet.
func Read(r io.Reader) (Message, error) {
	body, err := ReadPacket(r)
	if err != nil {
		return nil, err
	}
	return Unmarshal(body)
}

// Write encodes m and writes it as one packet.
func Write(w io.Writer, m Message) error {
	if err := WritePacket(w, Marshal(m)); err != nil {
		return fmt.Errorf("%v: %w", m.Type(), err)
	}
	return nil
}

func newMessage(t MsgType) Message {
	switch t {
	case MsgHello:
		return new(Hello)
	case MsgNewSession:
		return new(NewSession)
	case MsgAliveCheck:
		return new(AliveCheck)
	case MsgTerminate:
		return new(Terminate)
	case MsgOpenForward:
		return new(OpenForward)
	case MsgCloseForward:
		return new(CloseForward)
	case MsgNewStdioForward:
		return new(NewStdioForward)
	case MsgStopListening:
		return new(StopListening)
	case MsgProxy:
		return new(Proxy)
	case MsgExtInfo:
		return new(ExtInfo)
	case MsgOK:
		return new(OK)
	case MsgPermissionDenied:
		return new(PermissionDenied)
	case MsgFailure:
		return new(Failure)
	case MsgExitMessage:
		return new(ExitMessage)
	case MsgAlive:
		return new(Alive)
	case MsgSessionOpened:
		return new(SessionOpened)
	case MsgRemotePort:
		return new(RemotePort)
	case MsgTTYAllocFail:
		return new(TTYAllocFail)
	case MsgProxyReply:
		return new(ProxyReply)
	case MsgExtInfoReply:
		return new(ExtInfoReply)
	}
	return nil
}
