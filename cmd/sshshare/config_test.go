package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/setup"
	"github.com/sshshare/sshshare/share/sshtest"
)

func TestConfigPrints(t *testing.T) {
	sshtest.SetHome(t, t.TempDir())
	out, errOut, code := runCLI(t, "config")
	if code != 0 || !strings.Contains(out, "Host "+setup.Placeholder+"\n") || !strings.Contains(out, "placeholder") {
		t.Fatalf("config: got %q (stderr %q), exit %d; want the placeholder block", out, errOut, code)
	}
	out, _, code = runCLI(t, "config", "--no-mux", "--persist", "5m", "web-*")
	if code != 0 || !strings.Contains(out, "Host web-*\n") || strings.Contains(out, "ControlPath") ||
		!strings.Contains(out, " --persist 5m0s --alias %n %r %h %p\n") {
		t.Errorf("config --no-mux --persist 5m web-*: got %q, exit %d", out, code)
	}
	if runtime.GOOS != "windows" {
		return
	}
	exe, _ := os.Executable()
	out, _, code = runCLI(t, "config", "web-*")
	if code != 0 || strings.Contains(out, "ControlMaster no") || !strings.Contains(out, "ProxyCommand "+setup.WindowsQuote(exe)+" --alias") {
		t.Errorf("config web-* on Windows: got %q, exit %d; want sshshare.exe in full and no mux door", out, code)
	}
}

func TestConfigRefuses(t *testing.T) {
	sshtest.SetHome(t, t.TempDir())
	for _, args := range [][]string{
		{"config", "--install"},
		{"config", "--uninstall", "h"},
		{"config", "--install", "--uninstall", "h"},
		{"config", "--install", "h\nProxyCommand evil"},
		{"config", "a#b"},
	} {
		out, errOut, code := runCLI(t, args...)
		if code == 0 || !strings.HasPrefix(errOut, "sshshare: ") {
			t.Errorf("%q: got %q (stderr %q), exit %d; want a sshshare: line and a failure", args, out, errOut, code)
		}
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("HOME"), ".ssh")); err == nil {
		t.Errorf("a refused config wrote ~/.ssh")
	}
}

func TestConfigHomeRef(t *testing.T) {
	for _, tt := range []struct {
		h          configHomes
		path, want string
	}{
		{configHomes{env: "/home/a", passwd: "/home/a"}, "/home/a/.ssh/sshshare/config", "~/.ssh/sshshare/config"},
		{configHomes{env: "/home/a/", passwd: "/home/a"}, "/home/a/.ssh/sshshare/config", "~/.ssh/sshshare/config"},
		{configHomes{env: "/tmp/h", passwd: "/home/a"}, "/tmp/h/.ssh/sshshare/config", "/tmp/h/.ssh/sshshare/config"},
		{configHomes{env: "/home/a", passwd: ""}, "/home/a/.ssh/x", "/home/a/.ssh/x"},
		{configHomes{env: "/home/a", passwd: "/home/a"}, "/elsewhere/x", "/elsewhere/x"},
	} {
		if got := tt.h.ref(tt.path); got != tt.want {
			t.Errorf("%+v.ref(%q) = %q; want %q", tt.h, tt.path, got, tt.want)
		}
	}
}

func TestConfigMuxPath(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mux door on Windows: Win32-OpenSSH has no ControlMaster, so the block has no ControlPath")
	}
	def := ConfigCmd{ControlPath: "~/.ssh/sshshare/%r@%h-%p", Persist: 120 * time.Second}
	for _, tt := range []struct {
		cmd  ConfigCmd
		want string
		args []string
	}{
		{def, "~/.ssh/sshshare/%r@%n-%p.mux", nil},
		{ConfigCmd{ControlPath: "/s/%C", Persist: 120 * time.Second}, "/s/%r@%n-%p.mux", []string{"--control-path", "/s/%C"}},
		{ConfigCmd{ControlPath: def.ControlPath, MuxPath: "/m/%C", Persist: 120 * time.Second}, "/m/%C", []string{"--mux-path", "/m/%C"}},
		{ConfigCmd{ControlPath: def.ControlPath, MuxPath: "none", Persist: 120 * time.Second}, "", []string{"--mux-path", "none"}},
		{ConfigCmd{ControlPath: def.ControlPath, NoMux: true, Persist: 120 * time.Second}, "", nil},
	} {
		if got := tt.cmd.muxPath(); got != tt.want {
			t.Errorf("%+v.muxPath() = %q; want %q", tt.cmd, got, tt.want)
		}
		if got := tt.cmd.proxyArgs(); strings.Join(got, " ") != strings.Join(tt.args, " ") {
			t.Errorf("%+v.proxyArgs() = %q; want %q", tt.cmd, got, tt.args)
		}
	}
}

func TestConfigInstallUnderHome(t *testing.T) {
	home := t.TempDir()
	sshtest.SetHome(t, home)
	out, errOut, code := runCLI(t, "config", "--install", "h*")
	if code != 0 || !strings.Contains(out, "installed for h*") {
		t.Fatalf("config --install: got %q (stderr %q), exit %d", out, errOut, code)
	}
	got, err := os.ReadFile(filepath.Join(home, ".ssh", "config"))
	if err != nil || !strings.HasPrefix(string(got), setup.CreatedMarker+"\n") {
		t.Errorf("~/.ssh/config = %q, %v; want the Include on top", got, err)
	}
	out, _, code = runCLI(t, "config", "--uninstall")
	if code != 0 || !strings.Contains(out, "uninstalled") {
		t.Fatalf("config --uninstall: got %q, exit %d", out, code)
	}
	if _, err := os.Stat(filepath.Join(home, ".ssh", "config")); !os.IsNotExist(err) {
		t.Errorf("~/.ssh/config after --uninstall: %v; want it gone, as before --install", err)
	}
}
