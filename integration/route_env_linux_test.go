//go:build linux

package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestRouteProxyCommandEnv: an upstream ProxyCommand gets the whole
// environment of the ssh that started the master, as it would from ssh
// (AWS_PROFILE for `aws ssm`, a bastion's token), not only the master's
// allow-list; and the master's /proc/PID/environ still does not show it.
func TestRouteProxyCommandEnv(t *testing.T) {
	const name, token = "ROUTE_TEST_TOKEN", "xyz" // not SSHSHARE_*, which the allow-list has
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	bin := harness.Binary(t)
	c := harness.NewClient(t, sshd)
	wrapper := filepath.Join(t.TempDir(), "needs-token")
	script := "#!/bin/sh\n" +
		`[ "$` + name + `" = ` + token + ` ] || { echo "relay: ` + name + ` not set" >&2; exit 1; }` + "\n" +
		`exec "$@"` + "\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	c.AddShareRoute("tokened", bin, "ProxyCommand "+wrapper+" "+harness.RelayCommand(t, "127.0.0.1:%p", "relay: has the token"))
	c.Env = append(c.Env, name+"="+token)

	res := harness.Run(t, 30*time.Second, c.SSH("tokened", "echo", "one"))
	if res.Code != 0 || string(res.Stdout) != "one\n" || !strings.Contains(string(res.Stderr), "relay: has the token") {
		t.Fatalf("ssh through a ProxyCommand that needs %s: %s; want one and the relay's line\n%s", name, res, c.MasterLogs())
	}
	masters := c.Masters(bin)
	if len(masters) != 1 {
		t.Fatalf("masters %+v; want one", masters)
	}
	if environ, ok := readMasterProc(t, masters[0].Pid, "environ"); ok && bytes.Contains(environ, []byte(name)) {
		t.Errorf("master /proc/PID/environ has %s; want only its allow-list there", name)
	}
	c.StopMasters(bin)
	waitNoRelay(t)
}
