package control

import (
	"fmt"
	"strings"
)

// Version skew. A master outlives the binary that started it: after an
// upgrade, the new sshshare meets masters of the old one, and the other way
// round after a downgrade. The rules that keep ssh working across them:
//
//   - Every frame is JSON and only ever grows: a binary ignores the fields
//     it does not know, so additions need no new version.
//   - ProtocolVersion changes only when a share or tunnel conversation
//     changes incompatibly. A master refuses share and tunnel hellos of
//     another version, with Retry and its own version in the reply.
//   - Status and stop are answered whatever the hello's version, so
//     `sshshare status` and `sshshare stop` reach masters of every version.
//   - An invocation that meets a master of another version does not fail:
//     under the start-up lock it moves that master's socket aside (Retire)
//     and starts a master of its own version on the path. The old master
//     keeps its live sessions and stays listed by status until it exits.
//
// Masters from before replies carried a version (protocol 1) refuse a
// hello of another version without Retry, with the error text
// "control protocol version N, want M"; skewOf reads that too.

// ProtocolVersion is the version of the control protocol this binary
// speaks over a master's socket (see protocolVersion's build tags).
const ProtocolVersion = protocolVersion

// legacyVersion is the version of masters whose replies carry none.
const legacyVersion = 1

// VersionError is a share or tunnel hello of a protocol version the master
// does not speak.
type VersionError struct {
	Got, Want int
}

// Error reads as masters of protocol 1 said it; skewOf depends on it.
func (e *VersionError) Error() string {
	return fmt.Sprintf("control protocol version %d, want %d", e.Got, e.Want)
}

// SkewError is a master that speaks another protocol version than this
// binary: the invocation starts a master of its own version beside it.
type SkewError struct {
	Socket string
	Master int // the master's protocol version
}

func (e *SkewError) Error() string {
	return fmt.Sprintf("master at %s speaks control protocol version %d; this sshshare speaks %d",
		e.Socket, e.Master, ProtocolVersion)
}

// Hint says what to do when the error reaches the user: it does only when
// the binary changed while this invocation was starting a master.
func (e *SkewError) Hint() string {
	return "sshshare was upgraded or downgraded meanwhile; run the command again (sshshare status lists both masters)"
}

// skewOf reports the protocol version of the master that sent reply when
// it refused a hello for speaking another version.
func skewOf(reply Reply) (int, bool) {
	if reply.OK {
		return 0, false
	}
	if reply.Version != 0 {
		return reply.Version, reply.Version != ProtocolVersion
	}
	var got, want int
	if !strings.HasPrefix(reply.Error, "control protocol version ") {
		return 0, false
	}
	if _, err := fmt.Sscanf(reply.Error, "control protocol version %d, want %d", &got, &want); err != nil {
		return 0, false
	}
	return want, want != ProtocolVersion
}
