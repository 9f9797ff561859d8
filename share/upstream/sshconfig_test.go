package upstream

import (
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestParseSSHGSample parses real `ssh -G -F /dev/null -p 2222 -l bob
// somehost` output (OpenSSH 9.2, long algorithm lists trimmed).
func TestParseSSHGSample(t *testing.T) {
	out, err := os.ReadFile(filepath.Join("testdata", "ssh-G.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseSSHG(out)
	if err != nil {
		t.Fatalf("parseSSHG: %v", err)
	}
	want := HostConfig{
		User:     "bob",
		HostName: "somehost",
		Port:     2222,
		IdentityFiles: []string{
			"~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk", "~/.ssh/id_ed25519",
			"~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss", "~/.ssh/id_dsa",
		},
		UserKnownHostsFiles:          []string{"/root/.ssh/known_hosts", "/root/.ssh/known_hosts2"},
		GlobalKnownHostsFiles:        []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"},
		StrictHostKeyChecking:        "ask",
		ServerAliveCountMax:          3,
		LogLevel:                     "INFO",
		ControlMaster:                "false",
		ForwardAgent:                 "no",
		PubkeyAuthentication:         true,
		PasswordAuthentication:       true,
		KbdInteractiveAuthentication: true,
		NumberOfPasswordPrompts:      3,
		Algorithms: Algorithms{
			Ciphers: []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr",
				"aes128-gcm@openssh.com", "aes256-gcm@openssh.com"},
			HostKeyAlgorithms: strings.Split("ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,"+
				"ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,"+
				"sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"+
				"rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,"+
				"ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,"+
				"rsa-sha2-512,rsa-sha2-256", ","),
			RequiredRSASize: 1024,
		},
		Network: Network{AddressFamily: "any", ConnectionAttempts: 1, IPQoS: 0x10},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v;\nwant %+v", got, want)
	}
}

func TestParseSSHGValues(t *testing.T) {
	const base = "hostname h\nport 22\n"
	tests := []struct {
		name  string
		lines string
		check func(HostConfig) bool
	}{
		{"batchmode yes", "batchmode yes", func(c HostConfig) bool { return c.BatchMode }},
		{"batchmode no", "batchmode no", func(c HostConfig) bool { return !c.BatchMode }},
		{"identitiesonly true", "identitiesonly true", func(c HostConfig) bool { return c.IdentitiesOnly }},
		{"identitiesonly upper case", "identitiesonly YES", func(c HostConfig) bool { return c.IdentitiesOnly }},
		{"pubkey false", "pubkeyauthentication false", func(c HostConfig) bool { return !c.PubkeyAuthentication }},
		{"pubkey true", "pubkeyauthentication true", func(c HostConfig) bool { return c.PubkeyAuthentication }},
		{"password no", "passwordauthentication no", func(c HostConfig) bool { return !c.PasswordAuthentication }},
		{"kbdinteractive no", "kbdinteractiveauthentication no", func(c HostConfig) bool { return !c.KbdInteractiveAuthentication }},
		{"connecttimeout none", "connecttimeout none", func(c HostConfig) bool { return c.ConnectTimeout == 0 }},
		{"connecttimeout 7", "connecttimeout 7", func(c HostConfig) bool { return c.ConnectTimeout == 7*time.Second }},
		{"serveraliveinterval 0", "serveraliveinterval 0", func(c HostConfig) bool { return c.ServerAliveInterval == 0 }},
		{"serveraliveinterval 15", "serveraliveinterval 15", func(c HostConfig) bool { return c.ServerAliveInterval == 15*time.Second }},
		{"serveralivecountmax", "serveralivecountmax 5", func(c HostConfig) bool { return c.ServerAliveCountMax == 5 }},
		{"numberofpasswordprompts", "numberofpasswordprompts 1", func(c HostConfig) bool { return c.NumberOfPasswordPrompts == 1 }},
		{"identityagent none", "identityagent none", func(c HostConfig) bool { return c.IdentityAgent == "none" }},
		{"hostkeyalias", "hostkeyalias web", func(c HostConfig) bool { return c.HostKeyAlias == "web" }},
		{"revokedhostkeys", "revokedhostkeys ~/krl /etc/ssh/krl", func(c HostConfig) bool {
			return slices.Equal(c.RevokedHostKeys, []string{"~/krl", "/etc/ssh/krl"})
		}},
		{"revokedhostkeys none", "revokedhostkeys none", func(c HostConfig) bool { return c.RevokedHostKeys == nil }},
		{"nohostauthenticationforlocalhost", "nohostauthenticationforlocalhost yes", func(c HostConfig) bool { return c.NoHostAuthForLocalhost }},
		{"checkhostip", "checkhostip yes", func(c HostConfig) bool { return c.CheckHostIP }},
		{"verifyhostkeydns", "verifyhostkeydns ask", func(c HostConfig) bool { return c.VerifyHostKeyDNS == "ask" }},
		{"strict accept-new", "stricthostkeychecking accept-new", func(c HostConfig) bool { return c.StrictHostKeyChecking == "accept-new" }},
		{"keyword case", "BatchMode yes", func(c HostConfig) bool { return c.BatchMode }},
		{"addkeystoagent false", "addkeystoagent false", func(c HostConfig) bool { return c.AddKeysToAgent == AddKeysToAgent{} }},
		{"addkeystoagent true", "addkeystoagent true", func(c HostConfig) bool { return c.AddKeysToAgent == AddKeysToAgent{Add: true} }},
		{"addkeystoagent ask", "addkeystoagent ask", func(c HostConfig) bool { return c.AddKeysToAgent == AddKeysToAgent{Add: true, Ask: true} }},
		{"addkeystoagent confirm", "addkeystoagent confirm", func(c HostConfig) bool { return c.AddKeysToAgent == AddKeysToAgent{Add: true, Confirm: true} }},
		{"addkeystoagent confirm 1h", "addkeystoagent confirm 3600", func(c HostConfig) bool {
			return c.AddKeysToAgent == AddKeysToAgent{Add: true, Confirm: true, Lifetime: 3600}
		}},
		{"addkeystoagent 4h", "addkeystoagent 14400", func(c HostConfig) bool { return c.AddKeysToAgent == AddKeysToAgent{Add: true, Lifetime: 14400} }},
		{"pkcs11provider", "pkcs11provider /usr/lib/opensc-pkcs11.so", func(c HostConfig) bool { return c.PKCS11Provider == "/usr/lib/opensc-pkcs11.so" }},
		{"gssapiauthentication yes", "gssapiauthentication yes", func(c HostConfig) bool { return c.GSSAPIAuthentication }},
		{"unknown keyword ignored", "canonicalizehostname false", func(c HostConfig) bool { return c.HostName == "h" }},
		{
			"multiple identityfile lines",
			"identityfile ~/.ssh/a\nidentityfile /keys/b c\nidentityfile ~/.ssh/%r@%h",
			func(c HostConfig) bool {
				return reflect.DeepEqual(c.IdentityFiles, []string{"~/.ssh/a", "/keys/b c", "~/.ssh/%r@%h"})
			},
		},
		{
			"certificatefile lines",
			"certificatefile ~/.ssh/a-cert.pub\ncertificatefile ~/.ssh/b-cert.pub",
			func(c HostConfig) bool {
				return reflect.DeepEqual(c.CertificateFiles, []string{"~/.ssh/a-cert.pub", "~/.ssh/b-cert.pub"})
			},
		},
		{
			"preferredauthentications",
			"preferredauthentications publickey,keyboard-interactive",
			func(c HostConfig) bool {
				return reflect.DeepEqual(c.PreferredAuthentications, []string{"publickey", "keyboard-interactive"})
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseSSHG([]byte(base + tt.lines + "\n"))
			if err != nil {
				t.Fatalf("parseSSHG: %v", err)
			}
			if !tt.check(cfg) {
				t.Errorf("%q: got %+v", tt.lines, cfg)
			}
		})
	}
}

// TestParseSSHGPubkeyBound covers the PubkeyAuthentication values that mean
// "on" with or without the host-bound extension (ssh_config(5); ssh -G
// prints them as given).
func TestParseSSHGPubkeyBound(t *testing.T) {
	for _, v := range []string{"unbound", "host-bound"} {
		t.Run(v, func(t *testing.T) {
			cfg, err := parseSSHG([]byte("hostname h\nport 22\npubkeyauthentication " + v + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			if !cfg.PubkeyAuthentication {
				t.Errorf("pubkeyauthentication %s: got PubkeyAuthentication false; want true", v)
			}
		})
	}
}

func TestParseSSHGErrors(t *testing.T) {
	tests := []struct {
		name, out, want string
	}{
		{"empty", "", "no hostname or port"},
		{"no port", "hostname h\n", "no hostname or port"},
		{"no hostname", "port 22\n", "no hostname or port"},
		{"bad port", "hostname h\nport 99999\n", "port 99999"},
		{"bad connecttimeout", "hostname h\nport 22\nconnecttimeout soon\n", "connecttimeout soon"},
		{"bad serveralivecountmax", "hostname h\nport 22\nserveralivecountmax x\n", "serveralivecountmax x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseSSHG([]byte(tt.out))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

// needSSH returns the ssh binary, skipping outside CI when there is none.
func needSSH(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("ssh")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ssh not found in CI: %v", err)
		}
		t.Skip("no ssh binary")
	}
	return bin
}

func TestConfigLoaderLoad(t *testing.T) {
	bin := needSSH(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	kh1, kh2 := filepath.Join(dir, "kh1"), filepath.Join(dir, "kh2")
	idA, idB := filepath.Join(dir, "id_a"), filepath.Join(dir, "id_b")
	body := strings.Join([]string{
		"Host web",
		"  HostName 192.0.2.10",
		"  Port 2022",
		"  User alice",
		"  IdentityFile " + idA,
		"  IdentityFile " + idB,
		"  IdentitiesOnly yes",
		"  IdentityAgent none",
		"  UserKnownHostsFile " + kh1 + " " + kh2,
		"  GlobalKnownHostsFile ~/.ssh/g1 " + kh2,
		"  HostKeyAlias webkey",
		"  StrictHostKeyChecking yes",
		"  BatchMode yes",
		"  ConnectTimeout 7",
		"  ServerAliveInterval 15",
		"  ServerAliveCountMax 2",
		"  PasswordAuthentication no",
		"  PreferredAuthentications publickey,password",
		"",
	}, "\n")
	if err := os.WriteFile(config, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	l := ConfigLoader{SSH: bin, ConfigFile: config}
	ctx := context.Background()
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	home := strings.TrimSuffix(me.HomeDir, "/")

	t.Run("host block", func(t *testing.T) {
		cfg, err := l.Load(ctx, Target{Host: "web"})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		checks := []struct {
			name      string
			got, want any
		}{
			{"User", cfg.User, "alice"},
			{"HostName", cfg.HostName, "192.0.2.10"},
			{"Port", cfg.Port, 2022},
			{"IdentityFiles", cfg.IdentityFiles, []string{idA, idB}},
			{"IdentitiesOnly", cfg.IdentitiesOnly, true},
			{"IdentityAgent", cfg.IdentityAgent, "none"},
			{"UserKnownHostsFiles", cfg.UserKnownHostsFiles, []string{kh1, kh2}},
			// ssh -G prints these unexpanded; ssh expands the ~ as it reads.
			{"GlobalKnownHostsFiles", cfg.GlobalKnownHostsFiles, []string{home + "/.ssh/g1", kh2}},
			{"HostKeyAlias", cfg.HostKeyAlias, "webkey"},
			{"StrictHostKeyChecking", cfg.StrictHostKeyChecking, "true"},
			{"BatchMode", cfg.BatchMode, true},
			{"ConnectTimeout", cfg.ConnectTimeout, 7 * time.Second},
			{"ServerAliveInterval", cfg.ServerAliveInterval, 15 * time.Second},
			{"ServerAliveCountMax", cfg.ServerAliveCountMax, 2},
			{"PubkeyAuthentication", cfg.PubkeyAuthentication, true},
			{"PasswordAuthentication", cfg.PasswordAuthentication, false},
			{"PreferredAuthentications", cfg.PreferredAuthentications, []string{"publickey", "password"}},
		}
		for _, c := range checks {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("%s: got %#v; want %#v", c.name, c.got, c.want)
			}
		}
	})

	t.Run("command line wins", func(t *testing.T) {
		cfg, err := l.Load(ctx, Target{User: "bob", Host: "192.0.2.10", Port: 3000, Alias: "web"})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if cfg.User != "bob" || cfg.Port != 3000 || cfg.HostName != "192.0.2.10" {
			t.Errorf("got %s@%s:%d; want bob@192.0.2.10:3000", cfg.User, cfg.HostName, cfg.Port)
		}
	})

	t.Run("other host", func(t *testing.T) {
		cfg, err := l.Load(ctx, Target{Host: "elsewhere"})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if cfg.HostName != "elsewhere" || cfg.Port != 22 || cfg.StrictHostKeyChecking != "ask" {
			t.Errorf("got hostname %q port %d strict %q; want elsewhere 22 ask", cfg.HostName, cfg.Port, cfg.StrictHostKeyChecking)
		}
	})

	t.Run("bad config", func(t *testing.T) {
		bad := filepath.Join(dir, "bad")
		if err := os.WriteFile(bad, []byte("NoSuchKeyword yes\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ConfigLoader{SSH: bin, ConfigFile: bad}.Load(ctx, Target{Host: "web"})
		if err == nil || !strings.Contains(err.Error(), "ssh -G web") || !strings.Contains(err.Error(), "Bad configuration option: nosuchkeyword") {
			t.Errorf("got %v; want an error naming ssh -G web and quoting ssh's complaint", err)
		}
	})

	t.Run("no ssh", func(t *testing.T) {
		_, err := ConfigLoader{SSH: filepath.Join(dir, "no-ssh"), ConfigFile: config}.Load(ctx, Target{Host: "web"})
		if err == nil {
			t.Error("got nil error for a missing ssh binary")
		}
	})
}

// FuzzParseSSHG: whatever ssh -G prints, parsing returns a config or an
// error, never a panic, and a config it returns has a host and a port.
func FuzzParseSSHG(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "ssh-G.txt")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("hostname h\nport 22\nuser u\nconnecttimeout none\n"))
	f.Add([]byte("port 70000\nhostname x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := parseSSHG(b)
		if err == nil && (cfg.HostName == "" || cfg.Port == 0) {
			t.Errorf("parseSSHG(%q) = %+v without an error", b, cfg)
		}
	})
}
