package integration

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// nextProtoTags builds an sshshare that speaks the next control protocol
// version, as a future release would.
const nextProtoTags = "sshshare_nextproto"

// TestUpgradeVersionSkew: a master of another control protocol version is
// running with a session open when a new sshshare is installed over the
// old one, as a package upgrade does. The next ssh exits 0 (the new
// invocation moves the old master's socket aside and starts a master of
// its own version), the open session carries on, and status lists both
// masters with their versions; stop --all ends both.
func TestUpgradeVersionSkew(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	c.Env = append(c.Env, "GORACE=atexit_sleep_ms=0")
	installed := filepath.Join(t.TempDir(), "sshshare")
	install(t, harness.TaggedBinary(t, nextProtoTags), installed)
	c.AddShareHost("up", installed)

	session, stdin, stdout := harness.StartPiped(t, c.SSH("up", "echo ready; exec cat"))
	lines := readLines(stdout)
	if got := nextLine(lines, sshTimeout); got != "ready\n" {
		t.Fatalf("session on the old master: got %q; want %q\nstderr:\n%s", got, "ready\n", session.Stderr())
	}

	install(t, harness.Binary(t), installed)
	res := harness.Run(t, sshTimeout, c.SSH("up", "echo", "upgraded"))
	if res.Code != 0 || string(res.Stdout) != "upgraded\n" {
		t.Fatalf("ssh after the upgrade: %s; want exit 0 and %q", res, "upgraded\n")
	}

	io.WriteString(stdin, "still here\n")
	if got := nextLine(lines, sshTimeout); got != "still here\n" {
		t.Errorf("open session after the upgrade: got %q; want its echo %q\nstderr:\n%s", got, "still here\n", session.Stderr())
	}

	masters := c.Masters(installed)
	var protocols []int
	for _, m := range masters {
		protocols = append(protocols, m.Protocol)
	}
	slices.Sort(protocols)
	if !slices.Equal(protocols, []int{1, 2}) {
		t.Errorf("status after the upgrade: masters %+v; want two, of protocols 1 and 2", masters)
	}
	if n := sshd.Logins(); n != 2 {
		t.Errorf("sshd logins: %d; want 2, one per master", n)
	}

	stdin.Close()
	if code := session.Wait(t, sshTimeout); code != 0 {
		t.Errorf("open session: exit %d; want 0\nstderr:\n%s", code, session.Stderr())
	}
}

// install copies bin to path the way a package manager does: a new file
// renamed over the old one, so running processes keep the old one.
func install(t *testing.T, bin, path string) {
	t.Helper()
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
