//go:build unix

package integration

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestShareAgentPerClient: two `ssh -A` on one master forward two agents
// with distinct keys. Client 1's remote session, asked while client 2 is
// connected with its agent, lists client 1's key, not client 2's (issue
// 17, item 3: it went to the most recent -A client), and client 2's lists
// client 2's. A third ssh
// whose agent lists the same keys as client 1's shares client 1's login:
// two logins in all.
func TestShareAgentPerClient(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	dir := t.TempDir()
	sock := map[string]string{}
	fp := map[string]string{}
	for _, name := range []string{"A", "B"} {
		key := filepath.Join(dir, "id_"+name)
		loginNewKey(t, key, "")
		sock[name] = loginStartAgent(t)
		loginSSHAdd(t, e.c, sock[name], key)
		fp[name] = loginFingerprint(t, key+".pub")
	}
	withAgent := func(name string, args ...string) *exec.Cmd {
		cmd := e.c.SSH(append([]string{"-A", shareHost}, args...)...)
		cmd.Env = append(cmd.Env, "SSH_AUTH_SOCK="+sock[name])
		return cmd
	}
	// Clients 1 and 2 stay connected, then each lists its remote agent in
	// turn.
	type waiting struct {
		ssh   *harness.Proc
		stdin io.WriteCloser
		lines <-chan string
	}
	start := func(name string) waiting {
		ssh, stdin, stdout := harness.StartPiped(t, withAgent(name, "echo ready; read line; ssh-add -l"))
		w := waiting{ssh, stdin, readLines(stdout)}
		if got := nextLine(w.lines, sshTimeout); got != "ready\n" {
			t.Fatalf("ssh with agent %s said %q; want ready\nstderr:\n%s", name, got, ssh.Stderr())
		}
		return w
	}
	list := func(w waiting) string {
		send(t, w.stdin, "go\n")
		got := nextLine(w.lines, sshTimeout)
		w.stdin.Close()
		w.ssh.Wait(t, sshTimeout)
		return got
	}
	c1 := start("A")
	c2 := start("B")
	got1 := list(c1)
	got2 := list(c2)
	res3 := harness.Run(t, sshTimeout, withAgent("A", "ssh-add -l"))

	got3 := string(res3.Stdout)
	t.Logf("client 1 (agent A) sees %q; client 2 (agent B) sees %q; client 3 (agent A again) sees %q; sshd logins %d",
		strings.TrimSpace(got1), strings.TrimSpace(got2), strings.TrimSpace(got3), e.sshd.Logins())
	for _, c := range []struct {
		who, got, want, not string
	}{
		{"client 1", got1, fp["A"], fp["B"]},
		{"client 2", got2, fp["B"], fp["A"]},
		{"client 3", got3, fp["A"], fp["B"]},
	} {
		if !strings.Contains(c.got, c.want) || strings.Contains(c.got, c.not) {
			t.Errorf("%s's remote ssh-add -l = %q; want its own agent's key %s only", c.who, c.got, c.want)
		}
	}
	if got := e.sshd.Logins(); got != 2 {
		t.Errorf("sshd logins = %d; want 2 (agent A's connection, agent B's)", got)
	}
}

// TestShareAgentKeyAdded: one agent gains a key between two `ssh -A` on
// one master. The second ssh's agent lists a key the first's did not, but
// shares one with it: it is the same agent, so the second ssh shares the
// first's login (no new sshd login, where each other key set used to get
// one, or, with a password login, its agent refused) and its remote
// `ssh-add -l` lists both keys. The first ssh stays connected meanwhile,
// so the connection's agent is bound throughout. Once both have left, an
// `ssh -A` with another agent still never gets that connection (a process
// the first left on the server would reach it): it gets a login of its
// own, or, with a password login, the refusal in one line, as it does
// while the first ssh is connected.
func TestShareAgentKeyAdded(t *testing.T) {
	t.Run("key login", func(t *testing.T) { testShareAgentKeyAdded(t, false) })
	t.Run("password login", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("logs in as a local account with a password (useradd, chpasswd): needs root")
		}
		testShareAgentKeyAdded(t, true)
	})
}

func testShareAgentKeyAdded(t *testing.T, password bool) {
	var opts harness.SSHDOptions
	if password {
		opts.Extra = "PasswordAuthentication yes"
	}
	e := newShareEnv(t, opts)
	host := shareHost
	if password {
		pw := harness.PasswordUser(t, loginPWUser)
		e.c.Env = append(e.c.Env, harness.NewAskpass(t, harness.AskpassAnswer{Match: "assword", Answer: pw}).Env()...)
		host = "pw"
		e.c.AddShareHost(host, e.bin, "User "+loginPWUser, "BatchMode no")
	}
	dir := t.TempDir()
	sock := map[string]string{"A": loginStartAgent(t), "B": loginStartAgent(t)}
	fp := map[string]string{}
	for _, name := range []string{"1", "2", "B"} {
		key := filepath.Join(dir, "id_"+name)
		loginNewKey(t, key, "")
		fp[name] = loginFingerprint(t, key+".pub")
	}
	loginSSHAdd(t, e.c, sock["A"], filepath.Join(dir, "id_1"))
	loginSSHAdd(t, e.c, sock["B"], filepath.Join(dir, "id_B"))
	withAgent := func(name string, args ...string) *exec.Cmd {
		cmd := e.c.SSH(append([]string{"-A", host}, args...)...)
		cmd.Env = append(cmd.Env, "SSH_AUTH_SOCK="+sock[name])
		return cmd
	}
	ssh1, stdin1, stdout1 := harness.StartPiped(t, withAgent("A", "echo ready; read line"))
	lines1 := readLines(stdout1)
	if got := nextLine(lines1, sshTimeout); got != "ready\n" {
		t.Fatalf("first ssh -A said %q; want ready\nstderr:\n%s", got, ssh1.Stderr())
	}
	before := e.sshd.Logins()
	loginSSHAdd(t, e.c, sock["A"], filepath.Join(dir, "id_2"))
	res := harness.Run(t, sshTimeout, withAgent("A", "ssh-add -l"))
	if password {
		// Another agent meanwhile: no login can be made for it, and ssh
		// says so in one line.
		r := harness.Run(t, sshTimeout, withAgent("B", "true"))
		const want = "sshshare: agent forwarding refused for this session: the shared connection forwards another agent, and the server refused a new login without a prompt\n"
		t.Logf("agent B while agent A's ssh is connected: stderr %q", r.Stderr)
		if !strings.Contains(string(r.Stderr), want) {
			t.Errorf("agent B's stderr = %q; want %q", r.Stderr, want)
		}
	}
	stdin1.Close()
	ssh1.Wait(t, sshTimeout)
	resB := harness.Run(t, sshTimeout, withAgent("B", "ssh-add -l"))

	after := e.sshd.Logins()
	got, gotB := string(res.Stdout), string(resB.Stdout)
	t.Logf("second ssh -A (one key added) sees %q, stderr %q; then agent B sees %q, stderr %q; sshd logins %d before, %d after",
		strings.TrimSpace(got), strings.TrimSpace(string(res.Stderr)), strings.TrimSpace(gotB), strings.TrimSpace(string(resB.Stderr)), before, after)
	if !strings.Contains(got, fp["1"]) || !strings.Contains(got, fp["2"]) {
		t.Errorf("second ssh's remote ssh-add -l = %q; want both keys %s and %s", got, fp["1"], fp["2"])
	}
	// Agent A's connection never takes agent B, even with A's ssh gone: a
	// process it left on the server would reach B. B gets a login of its
	// own, or, where none can be made without a prompt, the refusal.
	if strings.Contains(gotB, fp["1"]) || strings.Contains(gotB, fp["2"]) {
		t.Errorf("agent B's remote ssh-add -l = %q; want none of agent A's keys", gotB)
	}
	if strings.Contains(string(res.Stderr), "refused") {
		t.Errorf("second ssh -A's stderr = %q; want no refusal", res.Stderr)
	}
	wantLogins := before + 1
	if password {
		wantLogins = before
		if !strings.Contains(string(resB.Stderr), "sshshare: agent forwarding refused for this session") {
			t.Errorf("agent B's stderr = %q; want the refusal line", resB.Stderr)
		}
	} else if !strings.Contains(gotB, fp["B"]) {
		t.Errorf("agent B's remote ssh-add -l = %q; want B's key %s", gotB, fp["B"])
	}
	if after != wantLogins {
		t.Errorf("sshd logins went from %d to %d; want %d (none for agent A's added key; one for agent B where a login needs no prompt)", before, after, wantLogins)
	}
}
