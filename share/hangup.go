package share

import (
	"time"

	"golang.org/x/crypto/ssh"
)

// A local ssh that is killed (SIGTERM, SIGHUP, a closed terminal window
// without a tty) closes its session while the remote command still runs.
// sshd keeps such a command running once its channel is gone, with plain
// ssh and ControlMaster alike, so it is orphaned on the server. The master
// sees the local side vanish first, so before closing the upstream
// session it asks sshd to signal the command (RFC 4254 section 6.9;
// OpenSSH's sshd honours it since 7.9): SIGHUP, as a terminal's hangup
// would send, then SIGTERM if the session is still open hangupWait later,
// and closes it at once: a server that ignores signals (an sshd that
// refuses them for root, Dropbear, network gear) then gets its EOF only a
// second later than with plain ssh. MasterConfig.KeepOrphans turns this
// off.

// hangupWait is how long the master waits for the remote command to end
// after each signal.
const hangupWait = time.Second

// signalMsg is the payload of a "signal" channel request.
type signalMsg struct {
	Signal string
}

// hangup signals the command of the upstream session up, whose client has
// gone: HUP, then, unless ended is closed within hangupWait (sshd closed
// the session: the command has exited), TERM.
func hangup(up ssh.Channel, ended <-chan struct{}) {
	for i, sig := range []string{"HUP", "TERM"} {
		if _, err := up.SendRequest("signal", false, ssh.Marshal(signalMsg{sig})); err != nil || i == 1 {
			return
		}
		t := time.NewTimer(hangupWait)
		select {
		case <-ended:
			t.Stop()
			return
		case <-t.C:
		}
	}
}
