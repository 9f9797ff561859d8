//go:build unix

package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// shareDialScript connects to the Unix socket argv[1], sends a status
// hello (a length-prefixed JSON frame) and prints, as JSON, whether it
// connected, the reply frame's body and any error.
const shareDialScript = `
import json, socket, struct, sys
out = {"connected": False, "reply": "", "error": ""}
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
    out["connected"] = True
    body = b'{"v":1,"op":"status"}'
    s.sendall(struct.pack(">I", len(body)) + body)
    data = b""
    while len(data) < 4 or len(data) < 4 + struct.unpack(">I", data[:4])[0]:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    out["reply"] = data[4:].decode("utf-8", "replace")
except OSError as e:
    out["error"] = str(e)
print(json.dumps(out))
`

// shareDial is what shareDialScript printed.
type shareDial struct {
	Connected bool   `json:"connected"`
	Reply     string `json:"reply"`
	Error     string `json:"error"`
}

// TestShareSocketSecurity: the master's socket is private (0600 in a 0700
// directory), and even when the file system lets another user reach it,
// the master refuses a connection from another uid (SO_PEERCRED) before
// saying anything, logs why, and keeps serving its owner.
func TestShareSocketSecurity(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	e.mustSSH(t, "true")
	m := e.master(t)
	t.Run("permissions", func(t *testing.T) {
		for _, tc := range []struct {
			path string
			want os.FileMode
		}{
			{filepath.Dir(m.Socket), os.ModeDir | 0o700},
			{m.Socket, os.ModeSocket | 0o600},
		} {
			info, err := os.Stat(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Mode() & (os.ModeType | os.ModePerm); got != tc.want {
				t.Errorf("%s: mode %v; want %v", tc.path, got, tc.want)
			}
		}
	})
	t.Run("other uid refused", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to connect as another user (nobody); run the tests as root to cover the peer-uid check")
		}
		python := sharePython(t)
		link := shareExposeSocket(t, m.Socket)
		if got := shareDialAs(t, python, link, nil); !strings.Contains(got.Reply, `"ok":true`) {
			t.Fatalf("owner through the exposed socket: %+v; want an OK status reply (the test's path must work)", got)
		}
		nobody := shareNobody(t)
		got := shareDialAs(t, python, link, nobody)
		if !got.Connected || strings.Contains(got.Reply, `"ok"`) {
			t.Errorf("uid %d: %+v; want connected, then closed without a reply", nobody.Uid, got)
		}
		want := "peer uid " + strconv.Itoa(int(nobody.Uid))
		if !shareWaitFor(5*time.Second, func() bool {
			log := shareMasterLog(m)
			return strings.Contains(log, "refused local connection") && strings.Contains(log, want)
		}) {
			t.Errorf("master log has no \"refused local connection\" naming %q:\n%s", want, shareMasterLog(m))
		}
	})
	e.mustSSH(t, "true")
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1 (the master survived the refused connection)", got)
	}
}

// shareExposeSocket makes the master's socket reachable by every user,
// so that only the master's own check can keep them out: a hard link in a
// fresh 0711 directory, and the socket's mode opened to 0666. Cleanups
// restore the mode and remove the link.
func shareExposeSocket(t *testing.T, socket string) string {
	t.Helper()
	dir := shortTempDir(t, "sshshare-exposed-", 0o711)
	link := filepath.Join(dir, "sock")
	if err := os.Link(socket, link); err != nil {
		t.Fatalf("link the master socket: %v", err)
	}
	if err := os.Chmod(link, 0o666); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(link, 0o600) })
	return link
}

// shareDialAs runs shareDialScript against socket as cred (nil: as the
// test's own user).
func shareDialAs(t *testing.T, python, socket string, cred *syscall.Credential) shareDial {
	t.Helper()
	cmd := exec.Command(python, "-c", shareDialScript, socket)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C"}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	res := harness.Run(t, sshTimeout, cmd)
	var out shareDial
	if res.Code != 0 || json.Unmarshal(res.Stdout, &out) != nil {
		t.Fatalf("dial %s: %s", socket, res)
	}
	return out
}

// shareNobody returns the credentials of user nobody.
func shareNobody(t *testing.T) *syscall.Credential {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("look up user nobody: %v", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		t.Fatalf("user nobody: uid %q gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// sharePython returns a python3 that any user can run (not one under
// root's home, such as a pyenv shim).
func sharePython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"} {
		if info, err := os.Stat(p); err == nil && info.Mode().Perm()&0o001 != 0 {
			return p
		}
	}
	t.Fatalf("no python3 in /usr/bin or /usr/local/bin that user nobody can run: apt-get install -y python3")
	return ""
}
