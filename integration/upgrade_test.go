package integration

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// protocol1Release is the last commit before replies carried a protocol
// version: what users have installed when they upgrade to this build, and
// what they go back to when they downgrade.
const protocol1Release = "f974d44b14fef0a785ecd4c5609957fc06156a03"

// previousRelease is main as it landed before issue 18's mux door and
// issue 19's commands (status fields, master flags): the build users run
// when they install this one, same protocol.
const previousRelease = "2ec0fb0120a0ec2a982f0f037b308579aca9c95f"

// lastRelease is main as it landed with issues 18 and 19, before the
// Windows transport and the OpenSSH engine (its status fields, the
// --engine flag): it has the mux door, and the same protocol.
const lastRelease = "43d209547afba89c24a372a1eb0f4e6f9a239889"

// landedRelease is main as it landed last (after issues 20 and 21: the
// Windows transport, the OpenSSH engine and its status fields), the build
// users run when they install this one: same protocol, its mux door with
// Go's system calls and its log lines as the client connects.
const landedRelease = "f5bd127dd550d08d2e1d9f470517e5a232973982"

// nextProtoTags builds an sshshare that speaks the next control protocol
// version, as a future release would.
const nextProtoTags = "sshshare_nextproto"

// build is one sshshare to install: where it comes from and the control
// protocol it speaks.
type build struct {
	name     string
	protocol int
	bin      func(t *testing.T) string
}

var (
	thisBuild = build{"this build", 1, func(t *testing.T) string { return harness.Binary(t) }}
	prevBuild = releaseBuild("the previous release", previousRelease)
	lastBuild = releaseBuild("the last release", lastRelease)
	landBuild = releaseBuild("the landed release", landedRelease)
	nextBuild = build{"a next-protocol build", 2, func(t *testing.T) string { return harness.TaggedBinary(t, nextProtoTags) }}
	release1  = releaseBuild("the protocol-1 release", protocol1Release)
)

// releaseBuild is the protocol-1 build of commit, built from git history.
func releaseBuild(name, commit string) build {
	return build{name, 1, func(t *testing.T) string {
		bin, why, ok := harness.ReleaseBinary(t, commit)
		if !ok {
			t.Skipf("needs %s built from git history: %s", name, why)
		}
		return bin
	}}
}

// TestUpgradeKeepsSSHWorking: a master of one build is running with a
// session open when another build is installed over it, as a package
// upgrade or downgrade does. The next ssh exits 0 and the open session
// carries on, in every pairing of this build, the previous release
// (protocol 1) and a future one (protocol 2). Builds of one protocol share
// the master (one login); across protocols the new invocation starts a
// master of its own beside the old one (two logins) and this build's
// status lists both, except after a downgrade to the protocol-1 release,
// which removes the newer master's socket instead of moving it aside: its
// session still carries on, but status no longer lists it
// (docs/lifecycle.md). The host is named by its address, so its view is
// plain and the socket name the same in every build.
func TestUpgradeKeepsSSHWorking(t *testing.T) {
	for _, tc := range []struct {
		master, invocation build
		logins             int
		protocols          []int // this build's status afterwards; nil: not checked
	}{
		{release1, thisBuild, 1, []int{1}},
		{thisBuild, release1, 1, []int{1}},
		{release1, nextBuild, 2, []int{1, 2}},
		{nextBuild, thisBuild, 2, []int{1, 2}},
		{nextBuild, release1, 2, nil},
	} {
		t.Run(tc.master.name+" master, "+tc.invocation.name+" installed", func(t *testing.T) {
			checkUpgrade(t, plainHost, tc.master, tc.invocation, tc.logins, tc.protocols)
		})
	}
}

// TestUpgradeAliasedHost: for an alias (a Host block whose name is not its
// HostName) this build keys the master's socket by the alias, where the
// protocol-1 release used the plain user@host:port name. Across that
// upgrade or downgrade the two builds' masters never share: the new
// invocation starts its own master beside the old one (two logins), ssh
// keeps working, the open session carries on, and status lists both.
func TestUpgradeAliasedHost(t *testing.T) {
	for _, tc := range []struct{ master, invocation build }{
		{release1, thisBuild},
		{thisBuild, release1},
	} {
		t.Run(tc.master.name+" master, "+tc.invocation.name+" installed", func(t *testing.T) {
			checkUpgrade(t, "up", tc.master, tc.invocation, 2, []int{1, 1})
		})
	}
}

// TestUpgradeFromPreviousRelease: the release before this build speaks
// the same protocol, so across an upgrade or a downgrade, for a plain
// host and an alias alike, the new invocation rides the running master of
// the other build (one login), ssh exits 0, the open session carries on,
// and status lists the one master.
func TestUpgradeFromPreviousRelease(t *testing.T) {
	for _, host := range []string{plainHost, "up"} {
		for _, tc := range []struct{ master, invocation build }{
			{prevBuild, thisBuild},
			{thisBuild, prevBuild},
			{lastBuild, thisBuild},
			{thisBuild, lastBuild},
			{landBuild, thisBuild},
			{thisBuild, landBuild},
		} {
			t.Run(host+": "+tc.master.name+" master, "+tc.invocation.name+" installed", func(t *testing.T) {
				checkUpgrade(t, host, tc.master, tc.invocation, 1, []int{1})
			})
		}
	}
}

// TestUpgradeMux is TestUpgradeFromPreviousRelease for a Host block with
// the mux door's lines. Upgrading from the previous release, the old
// master has no mux socket, so ssh runs the new ProxyCommand, which rides
// it; from the last release, the old master's mux door serves ssh;
// downgrading, the new master's mux door serves ssh, whatever build is
// installed. (Short names: the test's directory is in the ControlPath,
// which ssh refuses over 107 bytes.)
func TestUpgradeMux(t *testing.T) {
	for _, tc := range []struct {
		name               string
		master, invocation build
	}{{"up", prevBuild, thisBuild}, {"down", thisBuild, prevBuild}, {"up1", lastBuild, thisBuild}, {"down1", thisBuild, lastBuild},
		{"up2", landBuild, thisBuild}, {"down2", thisBuild, landBuild}} {
		t.Run(tc.name, func(t *testing.T) {
			checkUpgradeDoor(t, "m", true, tc.master, tc.invocation, 1, []int{1})
		})
	}
}

// plainHost is a Host block named as its HostName: a plain view.
const plainHost = "127.0.0.1"

// checkUpgrade runs one pairing of TestUpgradeKeepsSSHWorking.
func checkUpgrade(t *testing.T, host string, master, invocation build, logins int, protocols []int) {
	checkUpgradeDoor(t, host, false, master, invocation, logins, protocols)
}

// checkUpgradeDoor is checkUpgrade for a Host block with the mux door's
// lines (mux) or without.
func checkUpgradeDoor(t *testing.T, host string, mux bool, master, invocation build, logins int, protocols []int) {
	masterBin, invocationBin := master.bin(t), invocation.bin(t)
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	c.Env = append(c.Env, "GORACE=atexit_sleep_ms=0")
	t.Cleanup(func() {
		killMasters(t, c, func(pid int) {
			if protocols != nil { // else status cannot list it: expected
				t.Errorf("master pid %d still running after sshshare stop --all", pid)
			}
		})
	})
	installed := filepath.Join(t.TempDir(), "sshshare")
	install(t, masterBin, installed)
	if mux {
		c.AddMuxHost(host, installed)
	} else {
		c.AddShareHost(host, installed)
	}

	session, stdin, stdout := harness.StartPiped(t, c.SSH(host, "echo ready; exec cat"))
	lines := readLines(stdout)
	if got := nextLine(lines, sshTimeout); got != "ready\n" {
		t.Fatalf("session on the first master: got %q; want %q\nstderr:\n%s", got, "ready\n", session.Stderr())
	}

	install(t, invocationBin, installed)
	res := harness.Run(t, sshTimeout, c.SSH(host, "echo", "installed"))
	if res.Code != 0 || string(res.Stdout) != "installed\n" {
		t.Fatalf("ssh after installing %s: %s; want exit 0 and %q", invocation.name, res, "installed\n")
	}
	io.WriteString(stdin, "still here\n")
	if got := nextLine(lines, sshTimeout); got != "still here\n" {
		t.Errorf("open session after installing %s: got %q; want its echo %q\nstderr:\n%s",
			invocation.name, got, "still here\n", session.Stderr())
	}
	if n := sshd.Logins(); n != logins {
		t.Errorf("sshd logins: %d; want %d", n, logins)
	}
	if protocols != nil {
		checkProtocols(t, c, protocols)
	}
	if mux && master.name == thisBuild.name {
		// The ssh after the downgrade rode this build's mux door.
		if ms := c.MuxMasters(harness.Binary(t)); len(ms) != 1 || ms[0].MuxSessions != 1 {
			t.Errorf("status after installing %s: %+v; want this build's master, whose mux door served that ssh", invocation.name, ms)
		}
	}
	stdin.Close()
	if code := session.Wait(t, sshTimeout); code != 0 {
		t.Errorf("open session: exit %d; want 0\nstderr:\n%s", code, session.Stderr())
	}
}

// checkProtocols fails the test unless this build's status lists masters
// of exactly the protocols want.
func checkProtocols(t *testing.T, c *harness.Client, want []int) {
	t.Helper()
	masters := c.Masters(harness.Binary(t))
	var got []int
	for _, m := range masters {
		got = append(got, m.Protocol)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("status: masters %+v; want protocols %v", masters, want)
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
