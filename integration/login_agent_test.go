//go:build unix

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// loginStartAgent starts an ssh-agent on a socket of its own, with env
// added to its environment (its SSH_ASKPASS answers `ssh-add -c`
// confirmations), and returns the socket. A cleanup kills it.
func loginStartAgent(t *testing.T, env ...string) string {
	t.Helper()
	if _, err := exec.LookPath("ssh-agent"); err != nil {
		t.Fatalf("ssh-agent: %v (install openssh-client)", err)
	}
	dir := shortTempDir(t, "sshshare-agent-", 0o700)
	sock := filepath.Join(dir, "agent.sock")
	cmd := exec.Command("ssh-agent", "-D", "-a", sock)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, env...)
	harness.Start(t, cmd)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			return sock
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssh-agent socket %s did not appear within 10s", sock)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// loginSSHAdd runs ssh-add with args against the agent at sock, as the
// client, and returns its stdout; it fails the test on a non-zero exit
// unless allowFail.
func loginSSHAdd(t *testing.T, c *harness.Client, sock string, args ...string) string {
	t.Helper()
	cmd := c.Command("ssh-add", args...)
	cmd.Env = append(cmd.Env, "SSH_AUTH_SOCK="+sock)
	res := harness.Run(t, sshTimeout, cmd)
	if res.Code != 0 && !(len(args) == 1 && args[0] == "-l" && res.Code == 1) {
		t.Fatalf("ssh-add %s: %s", strings.Join(args, " "), res)
	}
	return string(res.Stdout)
}

// loginFingerprint returns the SHA256 fingerprint of a public key file.
func loginFingerprint(t *testing.T, pubPath string) string {
	t.Helper()
	res := harness.Run(t, sshTimeout, exec.Command("ssh-keygen", "-l", "-E", "sha256", "-f", pubPath))
	f := strings.Fields(string(res.Stdout))
	if res.Code != 0 || len(f) < 2 {
		t.Fatalf("ssh-keygen -l %s: %s", pubPath, res)
	}
	return f[1]
}

// TestLoginAddKeysToAgent: with AddKeysToAgent, the master adds the key it
// unlocked (passphrase relayed once) to the agent ssh uses, as ssh does:
// `ssh-add -l` lists it, and a master started after a stop logs in through
// the agent without asking the passphrase again. With `confirm`, that
// agent key asks the agent's own confirmation at its next use; with `ask`
// the user is asked first (through the local ssh, as ssh asks).
func TestLoginAddKeysToAgent(t *testing.T) {
	const passphrase = "open sesame 42"
	for _, tc := range []struct {
		value    string
		asks     int // the user asked: the passphrase, and for ask the question to add
		confirms int // agent confirmations at the second master's login
	}{
		{"yes", 1, 0},
		{"4h", 1, 0},
		{"confirm 1h", 1, 1},
		{"ask", 2, 0},
	} {
		t.Run(strings.ReplaceAll(tc.value, " ", "-"), func(t *testing.T) {
			agentAsk := harness.NewAskpass(t, harness.AskpassAnswer{Match: "", Answer: ""})
			sock := loginStartAgent(t, append(agentAsk.Env(), "DISPLAY=:0")...)
			sshd := harness.StartSSHD(t, harness.SSHDOptions{})
			c := harness.NewClient(t, sshd)
			key := filepath.Join(c.Home, ".ssh", "id_encrypted")
			loginWriteFile(t, sshd.AuthorizedKeysPath, loginNewKey(t, key, passphrase)+"\n")
			askpass := harness.NewAskpass(t, harness.AskpassAnswer{Match: "passphrase", Answer: passphrase},
				harness.AskpassAnswer{Match: "to agent?", Answer: "yes"})
			c.Env = append(c.Env, askpass.Env()...)
			c.Env = append(c.Env, "SSH_AUTH_SOCK="+sock)
			bin := harness.Binary(t)
			c.AddShareHost("enc", bin, "IdentityFile "+key, "BatchMode no", "AddKeysToAgent "+tc.value)

			loginRunTrue(t, c, "enc", 1)
			listed := loginSSHAdd(t, c, sock, "-l")
			c.StopMasters(bin)
			loginRunTrue(t, c, "enc", 1)

			fp := loginFingerprint(t, key+".pub")
			t.Logf("AddKeysToAgent %s: ssh-add -l after the first ssh: %q; askpass runs %d; agent confirmations %d; sshd logins %d",
				tc.value, strings.TrimSpace(listed), askpass.Calls(), agentAsk.Calls(), sshd.Logins())
			if !strings.Contains(listed, fp) {
				t.Errorf("ssh-add -l = %q; want the key %s listed", listed, fp)
			}
			if got := askpass.Calls(); got != tc.asks {
				t.Errorf("askpass ran %d times; want %d (the second master uses the agent); prompts %q", got, tc.asks, askpass.Prompts())
			}
			if got := agentAsk.Calls(); got != tc.confirms {
				t.Errorf("agent confirmations = %d; want %d", got, tc.confirms)
			}
			if got := sshd.Logins(); got != 2 {
				t.Errorf("sshd logins = %d; want 2 (one per master)", got)
			}
		})
	}
}

// TestLoginAgentKeyRefusesToSign: the agent's first key needs a
// confirmation (ssh-add -c) that its askpass declines; the master, like
// ssh, goes on to the agent's second key and logs in with it.
func TestLoginAgentKeyRefusesToSign(t *testing.T) {
	agentAsk := harness.NewAskpass(t) // no rule: every confirmation declined
	sock := loginStartAgent(t, append(agentAsk.Env(), "DISPLAY=:0")...)
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	dir := t.TempDir()
	first, second := filepath.Join(dir, "id_confirm"), filepath.Join(dir, "id_plain")
	loginWriteFile(t, sshd.AuthorizedKeysPath, loginNewKey(t, first, "")+"\n"+loginNewKey(t, second, "")+"\n")
	loginSSHAdd(t, c, sock, "-c", first)
	loginSSHAdd(t, c, sock, second)
	c.Env = append(c.Env, "SSH_AUTH_SOCK="+sock)
	c.AddShareHost("agent", harness.Binary(t), "IdentityFile none", "IdentitiesOnly no")

	loginRunTrue(t, c, "agent", 2)

	log := sshd.Log()
	want := "Accepted publickey for " + sshd.User
	secondFP := loginFingerprint(t, second+".pub")
	t.Logf("agent confirmations %d (declined); sshd logins %d; accepted key %s", agentAsk.Calls(), sshd.Logins(), secondFP)
	if !strings.Contains(log, want) || !strings.Contains(log, secondFP) {
		t.Errorf("sshd log shows no login with the second key %s\nsshd log:\n%s", secondFP, log)
	}
	if got := agentAsk.Calls(); got != 1 {
		t.Errorf("agent confirmations = %d; want 1 (the first key, declined, once)", got)
	}
	if got := sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1", got)
	}
}

// TestLoginAgentDestinationConstrained: the agent's only key is
// destination-constrained to the sshd (ssh-add -h, its host key from the
// client's known_hosts). The master binds its agent connection to the
// session (session-bind@openssh.com) as ssh does, so the key signs and
// the login succeeds.
func TestLoginAgentDestinationConstrained(t *testing.T) {
	sock := loginStartAgent(t)
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	key := filepath.Join(t.TempDir(), "id_constrained")
	loginWriteFile(t, sshd.AuthorizedKeysPath, loginNewKey(t, key, "")+"\n")
	dest := "[" + sshd.Host + "]:" + strconv.Itoa(sshd.Port)
	loginSSHAdd(t, c, sock, "-H", c.KnownHosts, "-h", dest, key)
	c.Env = append(c.Env, "SSH_AUTH_SOCK="+sock)
	c.AddShareHost("bound", harness.Binary(t), "IdentityFile none", "IdentitiesOnly no")

	loginRunTrue(t, c, "bound", 2)

	t.Logf("key constrained to %s; sshd logins %d", dest, sshd.Logins())
	if got := sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1", got)
	}
}
