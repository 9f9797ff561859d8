package harness

import (
	"strings"
	"testing"
)

func TestRenderSSHDConfigExtraOverrides(t *testing.T) {
	opts := SSHDOptions{
		MaxSessions: 3,
		Extra: "PasswordAuthentication yes\nHostKey /extra\nAcceptEnv FOO\n" +
			"Match User nobody\n  X11Forwarding yes\n",
	}
	got := renderSSHDConfig(2222, []string{"/k1"}, "/ak", opts)
	for _, want := range []string{
		"Port 2222\n", "ListenAddress 127.0.0.1\n", "HostKey /k1\n", "HostKey /extra\n",
		"AuthorizedKeysFile /ak\n", "MaxSessions 3\n", "UsePAM no\n",
		"AcceptEnv LANG LC_* SSHSHARE_TEST_*\n", "AcceptEnv FOO\n",
		"X11Forwarding no\n", "PasswordAuthentication yes\n",
		"Subsystem sftp internal-sftp\n", "Match User nobody\n  X11Forwarding yes\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("config lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "PasswordAuthentication no") {
		t.Errorf("config keeps the default that Extra overrides:\n%s", got)
	}
}
