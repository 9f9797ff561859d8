package tokens

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"testing"
	"time"
)

// sshTarget is what every ssh -G run below asks for. The host is typed in
// mixed case because ssh lowercases %h but keeps %n and %k as typed.
const (
	sshTypedHost = "MyHost.Example.COM"
	sshUser      = "bob"
	sshPort      = "2222"
)

// TestExpandMatchesOpenSSH compares Expand with the controlpath that the
// installed ssh prints for the same template, user, host and port.
func TestExpandMatchesOpenSSH(t *testing.T) {
	sshPath := lookSSH(t)
	home := t.TempDir()
	// Neither ssh nor Local may follow $HOME: ~ and %d are the passwd home.
	t.Setenv("HOME", home)
	t.Setenv("SSHSHARE_TEST_DIR", "/run/test dir")
	t.Setenv("SSHSHARE_TEST_EMPTY", "")
	t.Setenv("SSHSHARE_TEST_PERCENT", "100%h")
	_ = os.Unsetenv("SSHSHARE_TEST_UNSET")

	v, err := Local(sshUser, strings.ToLower(sshTypedHost), sshPort, sshTypedHost)
	if err != nil {
		t.Fatal(err)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	if v.Home == home {
		t.Fatalf("Local took Home from $HOME (%s); want the passwd entry", home)
	}
	if got := sshConfig(t, sshPath, "%h")["hostname"]; got != v.Host {
		t.Fatalf("ssh -G hostname: got %q; want %q", got, v.Host)
	}

	tests := []struct {
		name, template string
		wantErr        bool
	}{
		{name: "default", template: DefaultControlPath},
		{name: "every token", template: "/s/%%/%C/%d/%h/%i/%k/%L/%l/%n/%p/%r/%u"},
		{name: "conn hash", template: "~/.ssh/cm-%C"},
		{name: "home token", template: "%d/x"},
		{name: "hosts", template: "/s/%h-%n-%k"},
		{name: "local names", template: "/s/%l.%L.%u.%i"},
		{name: "percent", template: "/s/100%%-%%r%%"},
		{name: "bare tilde", template: "~"},
		{name: "tilde slashes", template: "~//a//b"},
		{name: "tilde user", template: "~" + me.Username + "/%r"},
		{name: "tilde user only", template: "~" + me.Username},
		{name: "inner tilde", template: "/s/~/a~b"},
		{name: "env", template: "${SSHSHARE_TEST_DIR}/%r@%h:%p"},
		{name: "env empty", template: "/s/a${SSHSHARE_TEST_EMPTY}b"},
		{name: "env not re-expanded", template: "/s/${SSHSHARE_TEST_PERCENT}"},
		{name: "dollar literal", template: "/s/$HOME/$/$%%{x}"},
		{name: "unknown token", template: "/s/%z", wantErr: true},
		{name: "jump host token", template: "/s/%j", wantErr: true},
		{name: "lone percent", template: "/s/abc%", wantErr: true},
		{name: "unset env", template: "/s/${SSHSHARE_TEST_UNSET}", wantErr: true},
		{name: "unclosed env", template: "/s/${SSHSHARE_TEST_DIR", wantErr: true},
		{name: "empty env name", template: "/s/${}", wantErr: true},
		{name: "unknown user", template: "~sshshare-no-such-user/x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, sshErr := sshControlPath(t, sshPath, tt.template)
			got, err := Expand(tt.template, v)
			if tt.wantErr {
				if sshErr == nil || err == nil {
					t.Fatalf("Expand(%q): got %q, %v; ssh: %q, %v; want both to fail",
						tt.template, got, err, want, sshErr)
				}
				return
			}
			if sshErr != nil {
				t.Fatalf("ssh -G -o ControlPath=%q: %v", tt.template, sshErr)
			}
			if err != nil || got != want {
				t.Errorf("Expand(%q): got %q, %v; want %q (ssh -G)", tt.template, got, err, want)
			}
		})
	}
}

// lookSSH returns the ssh client's path, skipping the test without one
// except in CI, where a missing ssh is a broken setup.
func lookSSH(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ssh")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("no ssh client: %v", err)
		}
		t.Fatalf("no ssh client in CI: %v", err)
	}
	return p
}

// sshControlPath returns the controlpath ssh -G prints for template.
func sshControlPath(t *testing.T, sshPath, template string) (string, error) {
	t.Helper()
	out, err := runSSHG(t, sshPath, template)
	if err != nil {
		return "", err
	}
	cp, ok := parseSSHG(out)["controlpath"]
	if !ok {
		return "", errors.New("no controlpath line in ssh -G output")
	}
	return cp, nil
}

// sshConfig returns ssh -G's settings for a run that must succeed.
func sshConfig(t *testing.T, sshPath, template string) map[string]string {
	t.Helper()
	out, err := runSSHG(t, sshPath, template)
	if err != nil {
		t.Fatal(err)
	}
	return parseSSHG(out)
}

// runSSHG runs ssh -G with no config files, so only the command line
// counts, and the test's environment, including its temp HOME.
func runSSHG(t *testing.T, sshPath, template string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sshPath, "-F", "/dev/null", "-G",
		"-o", "ControlPath="+template, "-p", sshPort, "-l", sshUser, sshTypedHost)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, errors.New(strings.TrimSpace(stderr.String()) + ": " + err.Error())
	}
	return out, nil
}

// parseSSHG maps each "keyword value" line of ssh -G to its value; values
// keep their spaces.
func parseSSHG(out []byte) map[string]string {
	m := make(map[string]string)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		if _, seen := m[k]; !seen {
			m[k] = v
		}
	}
	return m
}
