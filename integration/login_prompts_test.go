//go:build unix

package integration

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// sshPromptPrefix is what ssh puts before every keyboard-interactive
// prompt it shows: "(user@host) ".
var sshPromptPrefix = regexp.MustCompile(`^\([^)]*\) `)

// loginPromptTexts are askpass's prompts without ssh's prefix: the text
// the master, or the server, sent.
func loginPromptTexts(a *harness.Askpass) []string {
	var out []string
	for _, p := range a.Prompts() {
		out = append(out, sshPromptPrefix.ReplaceAllString(p, ""))
	}
	return out
}

// TestLoginPromptsTellMasterFromServer: the master's own question (a key's
// passphrase) starts with "sshshare:", and a server cannot ask in those
// words: its look-alike prompts, even one that starts with "sshshare:",
// reach the user marked as the server's. A server that refuses the key's
// public half never gets its passphrase asked for.
func TestLoginPromptsTellMasterFromServer(t *testing.T) {
	const passphrase = "open sesame 44"
	sshd, c, key, askpass := loginEncryptedKeyEnv(t, passphrase)
	bin := harness.Binary(t)

	t.Run("master", func(t *testing.T) {
		c.AddShareHost("enc", bin, "IdentityFile "+key, "BatchMode no")
		loginRunTrue(t, c, "enc", 1)
		prompts := loginPromptTexts(askpass)
		t.Logf("askpass prompts: %q", askpass.Prompts())
		if len(prompts) != 1 || !strings.HasPrefix(prompts[0], "sshshare: Enter passphrase for key '"+key+"'") {
			t.Errorf("askpass prompts %q; want one, the master's: \"sshshare: Enter passphrase for key '%s'...\"", prompts, key)
		}
	})

	t.Run("server", func(t *testing.T) {
		lookAlike := "Enter passphrase for key '" + key + "': "
		srv := harness.StartKbdServer(t, harness.KbdServerOptions{
			HostKey: sshd.HostSigner(t), User: sshd.User, RefuseKeys: true, Stdout: "phished\n",
			Rounds: []harness.KbdRound{{
				Prompts: []string{lookAlike, "sshshare: " + lookAlike}, Echos: []bool{false, false},
				Answers: []string{passphrase, passphrase},
			}},
		})
		before := askpass.Calls()
		c.AddShareHost("phish", bin, "Port "+strconv.Itoa(srv.Port), "IdentityFile "+key, "BatchMode no")
		loginRunTrue(t, c, "phish", 1)
		prompts := loginPromptTexts(askpass)[before:]
		t.Logf("askpass prompts: %q", askpass.Prompts()[before:])
		if len(prompts) != 2 {
			t.Fatalf("askpass prompts %q; want the server's two, and no passphrase asked by the master for a key the server refused", prompts)
		}
		for _, p := range prompts {
			if strings.HasPrefix(p, "sshshare:") {
				t.Errorf("server prompt shown as %q; want it not to start with \"sshshare:\", which only the master's own questions do", p)
			}
		}
		if !strings.HasPrefix(prompts[0], lookAlike) {
			t.Errorf("server prompt shown as %q; want it as the server sent it, %q", prompts[0], lookAlike)
		}
	})
}
