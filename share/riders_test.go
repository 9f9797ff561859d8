//go:build unix

package share

import (
	"os"
	"testing"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/mux"
	"github.com/sshshare/sshshare/share/sshtest"
)

// TestRidersProxyCommandDoor: a client of the ProxyCommand door rides
// the master as its peer's parent (the ssh that ran the invocation; here
// the test's parent), with a remote forward it owns, until it leaves.
func TestRidersProxyCommandDoor(t *testing.T) {
	f := startMaster(t, newFakeUpstream(t))
	c := f.share(t)
	ln, err := c.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	st := f.m.Status()
	if len(st.Riders) != 1 {
		t.Fatalf("riders: got %+v; want one", st.Riders)
	}
	r := st.Riders[0]
	if r.Pid != os.Getppid() || r.Door != control.DoorProxyCommand || r.Since.IsZero() || r.Command == "" {
		t.Errorf("rider: got %+v; want pid %d (the peer's parent), door %s, a start time and a command", r, os.Getppid(), control.DoorProxyCommand)
	}
	want := control.Forward{Spec: "-R 127.0.0.1:7000", Owner: control.OwnerClient, OwnerPid: os.Getppid()}
	if len(st.ForwardsDetail) != 1 || st.ForwardsDetail[0] != want {
		t.Errorf("forwards detail: got %+v; want [%+v]", st.ForwardsDetail, want)
	}
	c.Close()
	sshtest.WaitFor(t, "the rider to leave", func() bool { return len(f.m.Status().Riders) == 0 })
}

// TestRidersMuxDoor: a mux client rides the master as itself (the peer is
// the ssh) for the length of its session; a forward asked for over the
// door is the master's.
func TestRidersMuxDoor(t *testing.T) {
	f := startMaster(t, newFakeUpstream(t), withMux())
	fwd := mux.Forward{Kind: mux.ForwardLocal, ListenHost: "127.0.0.1", ConnectHost: "db", ConnectPort: 5432}
	ctl := dialMux(t, f)
	if _, ok := ctl.openForward(fwd).(*mux.OK); !ok {
		t.Fatal("-L not opened")
	}
	c := dialMux(t, f)
	p, reply := c.newSession(&mux.NewSession{Command: "cat"})
	if _, ok := reply.(*mux.SessionOpened); !ok {
		t.Fatalf("reply %+v; want SESSION_OPENED", reply)
	}
	st := f.m.Status()
	if len(st.Riders) != 1 || st.Riders[0].Pid != os.Getpid() || st.Riders[0].Door != control.DoorMux {
		t.Errorf("riders: got %+v; want this process on the mux door", st.Riders)
	}
	want := control.Forward{Spec: "-L 127.0.0.1:0:db:5432", Owner: control.OwnerMaster} // as asked
	if len(st.ForwardsDetail) != 1 || st.ForwardsDetail[0] != want {
		t.Errorf("forwards detail: got %+v; want [%+v]", st.ForwardsDetail, want)
	}
	p.stdinW.Close()
	c.read() // the exit message
	c.eof()
	sshtest.WaitFor(t, "the rider to leave", func() bool { return len(f.m.Status().Riders) == 0 })
}

// TestSSHCommand: only an ssh's arguments are shown, quoted for a shell;
// another program shows its name alone.
func TestSSHCommand(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"/usr/bin/ssh", "-t", "web1"}, "ssh -t web1"},
		{[]string{"ssh", "web1", "echo hi; ls"}, "ssh web1 'echo hi; ls'"},
		{[]string{"ssh", "h", "it's"}, `ssh h 'it'\''s'`},
		{[]string{"ssh", "-o", "User=a b", "h", ""}, `ssh -o 'User=a b' h ''`},
		{[]string{"sshpass", "-p", "secret", "ssh", "h"}, "sshpass"},
		{[]string{"/usr/bin/git", "fetch"}, "git"},
		{nil, ""},
	} {
		if got := sshCommand(tc.argv); got != tc.want {
			t.Errorf("sshCommand(%q) = %q; want %q", tc.argv, got, tc.want)
		}
	}
}
