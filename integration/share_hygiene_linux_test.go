//go:build linux

package integration

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestMasterProcessHygiene: the process environment of the master the
// first ssh starts (/proc/PID/environ) is not that ssh's (a token,
// GOTRACEBACK=crash), only what it needs itself, though its commands get
// the token (TestRouteProxyCommandEnv); it dumps no core, lives in / and
// still finds a relative IdentityFile where ssh ran; it logs which agent
// it uses; and what the runtime prints on a crash lands in its log
// instead of /dev/null.
func TestMasterProcessHygiene(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	work := t.TempDir()
	for _, suffix := range []string{"", ".pub"} {
		b, err := os.ReadFile(e.c.KeyPath + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, "id_rel"+suffix), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e.c.AddShareHost("rel", e.bin, "IdentityFile id_rel")
	e.c.Env = append(e.c.Env, "SECRET_TOKEN=hunter2-token", "GOTRACEBACK=crash", "SSH_AUTH_SOCK=/nonexistent/agent.sock")
	cmd := e.c.SSH("rel", "true")
	cmd.Dir = work
	if res := harness.Run(t, sshTimeout, cmd); res.Code != 0 {
		t.Fatalf("ssh rel true from %s: %s; want exit 0 (the master finds id_rel there)", work, res)
	}
	m := e.master(t)
	proc := "/proc/" + strconv.Itoa(m.Pid)

	environ, ok := readMasterProc(t, m.Pid, "environ")
	vars := map[string]string{}
	for _, kv := range bytes.Split(bytes.TrimRight(environ, "\x00"), []byte{0}) {
		if k, v, found := strings.Cut(string(kv), "="); found {
			vars[k] = v
		}
	}
	if ok {
		t.Logf("master environment: %q", vars)
	}
	for _, name := range []string{"SECRET_TOKEN", "GOTRACEBACK"} {
		if v, ok := vars[name]; ok {
			t.Errorf("master environ has %s=%s; want it left out", name, v)
		}
	}
	if ok {
		for name, want := range map[string]string{"SSH_AUTH_SOCK": "/nonexistent/agent.sock", "HOME": e.c.Home} {
			if vars[name] != want {
				t.Errorf("master environ %s=%q; want %q", name, vars[name], want)
			}
		}
		if !strings.Contains(vars["GODEBUG"], "clobberfree=1") {
			t.Errorf("master GODEBUG=%q; want clobberfree=1", vars["GODEBUG"])
		}
	}

	limits, err := os.ReadFile(proc + "/limits")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(limits), "\n") {
		if f := strings.Fields(line); strings.HasPrefix(line, "Max core file size") && (len(f) < 6 || f[4] != "0" || f[5] != "0") {
			t.Errorf("master %q; want soft and hard core limits 0", line)
		}
	}
	if os.Geteuid() == 0 {
		if cwd, err := os.Readlink(proc + "/cwd"); err != nil || cwd != "/" {
			t.Errorf("master cwd %q (%v); want /", cwd, err)
		}
	}
	if log := shareMasterLog(m); !strings.Contains(log, "agent for logins") || !strings.Contains(log, "/nonexistent/agent.sock") {
		t.Errorf("master log names no agent socket; want /nonexistent/agent.sock:\n%s", log)
	}

	// SIGQUIT makes the Go runtime print every goroutine's stack on
	// stderr and exit: what a panic leaves.
	if err := syscall.Kill(m.Pid, syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	if !harness.WaitPidGone(m.Pid, 10*time.Second) {
		t.Fatalf("master %d still running 10 s after SIGQUIT", m.Pid)
	}
	if log := shareMasterLog(m); !strings.Contains(log, "SIGQUIT") || !strings.Contains(log, "goroutine ") {
		t.Errorf("master log has no SIGQUIT stack dump; want the runtime's crash output there:\n%s", log)
	}
}

// readMasterProc reads /proc/PID/name of a master. Only root can: a master
// is not dumpable, so the kernel refuses its own user, which is checked
// here; ok is false then, and the caller leaves the file's contents
// unchecked (run the tests as root to check them).
func readMasterProc(t *testing.T, pid int, name string) (_ []byte, ok bool) {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + name)
	if os.Geteuid() != 0 {
		if !errors.Is(err, fs.ErrPermission) {
			t.Errorf("read the master's /proc/%d/%s as its own user: %v; want permission denied (the master is not dumpable)", pid, name, err)
		}
		t.Logf("not root: the master's /proc/PID/%s is closed to its own user, as wanted; its contents are checked when run as root", name)
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return b, true
}
