package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// The mux door's tests (issue 18) drive stock ssh as a mux client of the
// master: the Host block names the master's mux socket as its ControlPath,
// with ControlMaster no (harness AddMuxHost). Stock ssh falls back to the
// ProxyCommand silently whenever the door refuses or is missing, and the
// fallback works too, so every test proves that the door served it: the
// master's mux_sessions (sshshare status --json) must grow by one for each
// session or stdio forward the test ran.
//
// The test names stay short: the client's HOME is a directory named after
// the test, and the mux socket's path under it (plus the temporary suffix
// a socket is bound under before it is published) must fit sun_path, 108
// bytes on Linux.

// muxPublishWait bounds the wait for a master to publish its mux socket
// after its first login.
const muxPublishWait = 10 * time.Second

// muxEnv is a shareEnv whose shareHost goes through the mux door, so that
// the shareEnv helpers (ssh, mustSSH, transfers, git, startSSHs) run stock
// ssh as a mux client.
type muxEnv struct {
	*shareEnv
	// user and port are shareHost's remote user and port when its block
	// names them; the sshd's otherwise.
	user string
	port int
}

// newMuxEnv starts an sshd with opts and a client whose shareHost is a mux
// host (AddMuxHost, with lines first). Remote sessions get an empty HOME,
// as in newShareEnv, which another remote user may read.
func newMuxEnv(t *testing.T, opts harness.SSHDOptions, lines ...string) *muxEnv {
	t.Helper()
	return muxEnvFor(t, muxStartSSHD(t, opts), lines...)
}

// muxStartSSHD starts the sshd of a muxEnv with opts.
func muxStartSSHD(t *testing.T, opts harness.SSHDOptions) *harness.SSHD {
	t.Helper()
	opts.Extra = "SetEnv HOME=" + muxRemoteHome(t) + "\n" + opts.Extra
	return harness.StartSSHD(t, opts)
}

// muxEnvFor makes a client of sshd whose shareHost is a mux host with
// lines first (a Port line for a relay to the sshd, a User line).
func muxEnvFor(t *testing.T, sshd *harness.SSHD, lines ...string) *muxEnv {
	t.Helper()
	c := harness.NewClient(t, sshd)
	bin := harness.Binary(t)
	c.AddMuxHost(shareHost, bin, lines...)
	e := &muxEnv{shareEnv: &shareEnv{sshd: sshd, c: c, bin: bin}}
	for _, line := range lines {
		f := strings.Fields(line)
		switch {
		case len(f) != 2:
		case strings.EqualFold(f[0], "User"):
			e.user = f[1]
		case strings.EqualFold(f[0], "Port"):
			e.port, _ = strconv.Atoi(f[1])
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("master logs:\n%s", c.MasterLogs())
		}
	})
	return e
}

// muxRemoteHome makes an empty directory for the remote sessions' HOME
// that any user can read (t.TempDir's parent is private to the test's
// user), and removes it when the test ends.
func muxRemoteHome(t *testing.T) string {
	t.Helper()
	return shortTempDir(t, "muxhome", 0o755)
}

// socketPath is the mux socket of shareHost's master: the harness's
// ControlPath template expanded for its user, alias (%n) and port.
func (e *muxEnv) socketPath() string {
	user, port := e.user, e.port
	if user == "" {
		user = e.sshd.User
	}
	if port == 0 {
		port = e.sshd.Port
	}
	name := user + "@" + shareHost + "-" + strconv.Itoa(port) + ".mux"
	return filepath.Join(e.c.ShareDir(), name)
}

// muxMaster returns the mux status of the client's only master.
func (e *muxEnv) muxMaster(t *testing.T) harness.MuxStatus {
	t.Helper()
	ms := e.c.MuxMasters(e.bin)
	if len(ms) != 1 {
		t.Fatalf("sshshare status: %d masters %+v; want 1", len(ms), ms)
	}
	return ms[0]
}

// served returns how many sessions the master's mux door has served, and
// fails the test unless the master serves its mux socket at socketPath.
func (e *muxEnv) served(t *testing.T) int {
	t.Helper()
	m := e.muxMaster(t)
	if m.MuxSocket != e.socketPath() {
		t.Fatalf("master pid %d: mux_socket %q; want %q", m.Pid, m.MuxSocket, e.socketPath())
	}
	return m.MuxSessions
}

// wantServed checks that the mux door served n sessions since it had
// served before: a fallback to the ProxyCommand door does not count.
func (e *muxEnv) wantServed(t *testing.T, before, n int, what string) {
	t.Helper()
	if got := e.served(t) - before; got != n {
		t.Errorf("%s: mux_sessions grew by %d; want %d (the others fell back to the ProxyCommand door)", what, got, n)
	}
}

// warm starts the master with a cold ssh (no mux socket yet: ssh runs the
// ProxyCommand), waits for the master to publish its mux socket and
// returns how many sessions the door has served (0).
func (e *muxEnv) warm(t *testing.T) int {
	t.Helper()
	res := e.mustSSH(t, "true")
	if len(res.Stderr) != 0 {
		t.Fatalf("cold ssh %s true: stderr %q; want none", shareHost, res.Stderr)
	}
	e.waitPublished(t)
	return e.served(t)
}

// waitPublished waits until the mux socket exists as a socket and the
// master reports it.
func (e *muxEnv) waitPublished(t *testing.T) {
	t.Helper()
	var ms []harness.MuxStatus
	ok := shareWaitFor(muxPublishWait, func() bool {
		fi, err := os.Stat(e.socketPath())
		if err != nil || fi.Mode().Type() != os.ModeSocket {
			return false
		}
		ms = e.c.MuxMasters(e.bin)
		return len(ms) == 1 && ms[0].MuxSocket != ""
	})
	if !ok {
		t.Fatalf("no mux socket at %s %v after the first login; status %+v", e.socketPath(), muxPublishWait, ms)
	}
}

// socketGone reports whether nothing is left at the mux socket's path.
func (e *muxEnv) socketGone() bool {
	_, err := os.Lstat(e.socketPath())
	return os.IsNotExist(err)
}
