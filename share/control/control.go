package control

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxFrame bounds a control frame; the length is checked before anything is
// allocated, so a hostile or confused peer cannot make the master allocate.
const maxFrame = 64 << 10

// Control operations an invocation or a command asks of a master.
const (
	OpShare  = "share"  // terminate this connection's SSH and bridge it
	OpTunnel = "tunnel" // splice this connection to a direct-tcpip channel
	OpStatus = "status" // describe the master
	OpStop   = "stop"   // close now, or drain when Drain is set
)

// Hello is the first frame on a connection to a master.
type Hello struct {
	Version int    `json:"v"`
	Op      string `json:"op"`
	Host    string `json:"host,omitempty"`  // tunnel target
	Port    int    `json:"port,omitempty"`  // tunnel target
	Drain   bool   `json:"drain,omitempty"` // stop: wait for clients to leave
	// Starter marks the invocation that spawned the master: it is admitted
	// during the login to answer its questions; any other client is
	// answered once the login has finished, with its outcome.
	Starter bool `json:"starter,omitempty"`
	// CanPrompt tells, with Starter, whether the user can be asked
	// anything: a terminal or an askpass ssh would use.
	CanPrompt bool `json:"can_prompt,omitempty"`
	// Stdio offers, with share, to hand over the invocation's stdin and
	// stdout (see sysio.SendStdio) instead of relaying them.
	Stdio bool `json:"stdio,omitempty"`
}

// Reply answers a Hello. On OK the connection carries the operation's bytes
// (SSH for share, the target's bytes for tunnel) from the next byte on,
// unless the master took the invocation's stdio instead.
type Reply struct {
	// Version is the master's protocol version (see WriteReply); masters
	// from before it was added leave it out.
	Version int     `json:"v,omitempty"`
	OK      bool    `json:"ok"`
	Error   string  `json:"error,omitempty"`
	Hint    string  `json:"hint,omitempty"`
	Retry   bool    `json:"retry,omitempty"` // start a fresh master: this one is going away, or speaks another version
	Status  *Status `json:"status,omitempty"`
	Pid     int     `json:"pid,omitempty"` // the master's, on OK
	// Stdio takes up a share hello's offer: the invocation sends its
	// stdio next, and the connection carries nothing more.
	Stdio bool `json:"stdio,omitempty"`
	// Warnings are lines a spawned master's first report asks its
	// invocation to show on the user's stderr (see ReadyFDEnv): both ends
	// are the same build.
	Warnings []string `json:"warnings,omitempty"`
}

// ErrFrameTooLarge is returned for a frame longer than the protocol allows.
var ErrFrameTooLarge = errors.New("control frame too large")

// WriteFrame writes v as one length-prefixed JSON frame.
func WriteFrame(w io.Writer, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode frame: %w", err)
	}
	if len(body) > maxFrame {
		return ErrFrameTooLarge
	}
	buf := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(buf, uint32(len(body)))
	copy(buf[4:], body)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}

// WriteReply writes r as one frame, stamped with this binary's protocol
// version: every reply says which version its master speaks.
func WriteReply(w io.Writer, r Reply) error {
	r.Version = ProtocolVersion
	return WriteFrame(w, r)
}

// ReadFrame reads one length-prefixed JSON frame into v. It reads exactly
// the frame's bytes and nothing after them, so the connection can carry
// other bytes next.
func ReadFrame(r io.Reader, v any) error {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return fmt.Errorf("read frame: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxFrame {
		return fmt.Errorf("read frame of %d bytes: %w", n, ErrFrameTooLarge)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return fmt.Errorf("read frame: %w", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode frame: %w", err)
	}
	return nil
}

// ReadHello reads and validates the first frame a master receives.
func ReadHello(r io.Reader) (Hello, error) {
	var h Hello
	if err := ReadFrame(r, &h); err != nil {
		return h, err
	}
	switch h.Op {
	case OpStatus, OpStop:
		return h, nil // answered whatever the version: see version.go
	case OpShare:
	case OpTunnel:
		if h.Host == "" || h.Port <= 0 || h.Port > 65535 {
			return h, fmt.Errorf("tunnel to %q port %d: bad target", h.Host, h.Port)
		}
	default:
		return h, fmt.Errorf("unknown control op %q", h.Op)
	}
	if h.Version != ProtocolVersion {
		return h, &VersionError{Got: h.Version, Want: ProtocolVersion}
	}
	return h, nil
}

// ReadyFDEnv names the environment variable that tells a spawned master
// which file descriptor (on Windows, which inherited handle: see
// sysio.HandedFD) to report its start-up on: one Reply frame when it
// listens (or could not start), one when its login has finished.
const ReadyFDEnv = "SSHSHARE_READY_FD"

// StderrFDEnv names the environment variable that tells a spawned master
// which file descriptor is the stderr of the ssh that started it, lent
// for the login only: what an upstream ProxyCommand prints then (a login
// URL) must reach the user. A master started without it prints nothing.
const StderrFDEnv = "SSHSHARE_STDERR_FD"

// EnvFDEnv names the environment variable that tells a spawned master
// which file descriptor carries the whole environment of the ssh that
// started it, for the commands it runs (see invoke.WriteEnviron); its
// own process environment is the smaller invoke.MasterEnv.
const EnvFDEnv = "SSHSHARE_ENV_FD"
