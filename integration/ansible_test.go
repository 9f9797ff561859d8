package integration

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
	"github.com/sshshare/sshshare/tokens"
)

// ansibleUser is the account the playbook logs in as: not root, so that
// its group change is made by root on the controller (the same machine)
// and shows in the login's `id -Gn` only after a fresh login.
const ansibleUser = harness.PasswordUserPrefix + "ansible"

// ansibleGroup is the group the playbook adds ansibleUser to.
const ansibleGroup = harness.PasswordUserPrefix + "ansible-g"

// ansibleTimeout bounds the whole playbook run.
const ansibleTimeout = 90 * time.Second

// ansiblePlaybook is the playbook the test runs: a command, a copy, a
// lineinfile, a group change, then meta: reset_connection and `id -Gn`
// again. Each login count is taken on the controller (the sshd's log)
// right before the reset.
const ansiblePlaybook = `- hosts: all
  gather_facts: false
  tasks:
    - name: who logs in
      command: id -un
      register: who
    - assert:
        that: who.stdout == "` + ansibleUser + `"
    - name: copy a file
      copy:
        content: "hello {{ inventory_hostname }}\n"
        dest: "{{ out }}/{{ inventory_hostname }}.txt"
    - name: add a line
      lineinfile:
        path: "{{ out }}/{{ inventory_hostname }}.txt"
        line: second
    - name: a new group for the login user
      run_once: true
      delegate_to: localhost
      block:
        - group:
            name: ` + ansibleGroup + `
        - user:
            name: ` + ansibleUser + `
            groups: ` + ansibleGroup + `
            append: true
    - name: the login made before the change does not have it
      command: id -Gn
      register: before
      failed_when: "'` + ansibleGroup + `' in before.stdout.split()"
    - name: sshd's logins so far
      run_once: true
      delegate_to: localhost
      shell: grep -c "Accepted publickey for ` + ansibleUser + `" {{ sshd_log }} > {{ out }}/logins-before-reset
    - meta: reset_connection
    - name: a fresh login has it
      command: id -Gn
      register: after
      failed_when: "'` + ansibleGroup + `' not in after.stdout.split()"
`

// TestAnsibleReset runs real Ansible (ansible-playbook) with the
// ansible.cfg of docs/ansible.md over five inventory names of one host,
// all with ansible_host naming one ssh alias through sshshare's mux door:
// the tasks before `meta: reset_connection` cost sshd one login, the reset
// stops the master (ssh -O stop through the mux door), and the tasks after
// it log in once more, so the group the playbook added shows in `id -Gn`.
func TestAnsibleReset(t *testing.T) {
	e := newAnsibleEnv(t)
	before, after := e.run(t)
	if before != 1 || after != 1 {
		t.Errorf("sshd logins: %d before the reset, %d after it; want 1 and 1", before, after)
	}
}

// TestAnsibleTwoViews: a plain `ssh box` ran first, so its master
// holds the mux socket, and Ansible's ssh options make another view with
// a master of its own, reached through the ProxyCommand door. The reset's
// ssh -O stop still finds the plain master's socket; it must stop
// Ansible's master, not that one: the group shows after the reset, and the
// plain master stays.
func TestAnsibleTwoViews(t *testing.T) {
	e := newAnsibleEnv(t)
	if res := harness.Run(t, sshTimeout, e.c.SSH("box", "true")); res.Code != 0 {
		t.Fatalf("ssh box true: %s", res)
	}
	plain := e.c.Masters(e.bin)
	if len(plain) != 1 {
		t.Fatalf("masters after ssh box true: %+v; want 1", plain)
	}
	before, after := e.run(t)
	if before != 2 || after != 1 {
		t.Errorf("sshd logins: %d before the reset (the plain ssh's and Ansible's), %d after it; want 2 and 1", before, after)
	}
	if !harness.PidAlive(plain[0].Pid) {
		t.Errorf("the plain ssh's master (pid %d) ended: the reset stopped the wrong master", plain[0].Pid)
	}
}

// ansibleEnv is an sshd that lets ansibleUser in with the client's key,
// and a client whose Host block box reaches it as ansibleUser through
// sshshare's mux door.
type ansibleEnv struct {
	sshd     *harness.SSHD
	c        *harness.Client
	bin      string
	playbook string // the ansible-playbook program
}

// newAnsibleEnv sets up an ansibleEnv, or skips the test without root or
// without ansible-playbook.
func newAnsibleEnv(t *testing.T) *ansibleEnv {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: logs in as a second local account and changes its groups (useradd, groupadd)")
	}
	playbook, err := exec.LookPath("ansible-playbook")
	if err != nil && os.Getenv("CI") != "" {
		t.Fatalf("ansible-playbook not installed, in CI (.ci/deps installs ansible-core): %v", err)
	}
	if err != nil {
		t.Skipf("ansible-playbook not installed (apt-get install ansible-core): %v", err)
	}
	ansibleAccount(t)
	keys := ansibleKeysDir(t)
	sshd := harness.StartSSHD(t, harness.SSHDOptions{
		Extra: "AuthorizedKeysFile " + filepath.Join(keys, "authorized_keys"),
	})
	c := harness.NewClient(t, sshd)
	pub, err := os.ReadFile(c.KeyPath + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(keys, "authorized_keys"), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := harness.Binary(t)
	c.AddMuxHost("box", bin, "User "+ansibleUser)
	// meta: reset_connection reaches the master only through its mux door
	// (ssh -O check, ssh -O stop), which a path too long to bind lacks.
	mux := filepath.Join(c.ShareDir(), ansibleUser+"@"+sshd.Host+"-"+strconv.Itoa(sshd.Port)+".mux")
	if len(mux) > tokens.MaxSocketPath() {
		t.Fatalf("mux socket %s: longer than %d bytes, so no mux door (TMPDIR too long?)", mux, tokens.MaxSocketPath())
	}
	return &ansibleEnv{sshd: sshd, c: c, bin: bin, playbook: playbook}
}

// run runs the playbook, checks that it succeeded and wrote its files, and
// returns sshd's logins before meta: reset_connection (since sshd started)
// and after it.
func (e *ansibleEnv) run(t *testing.T) (before, after int) {
	t.Helper()
	dir := ansibleProject(t, e.c)
	out := filepath.Join(dir, "out")
	cmd := e.c.Command(e.playbook, "-e", "out="+out, "-e", "sshd_log="+e.sshd.LogPath, "site.yml")
	cmd.Dir = dir
	cmd.Env = append(cmd.Env,
		"ANSIBLE_CONFIG="+filepath.Join(dir, "ansible.cfg"),
		"ANSIBLE_HOME="+filepath.Join(e.c.Home, ".ansible"),
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(e.c.Home, ".ansible", "tmp"),
		"ANSIBLE_NOCOLOR=1",
	)
	start := time.Now()
	res := harness.Run(t, ansibleTimeout, cmd)
	took := time.Since(start)
	if res.Code != 0 {
		t.Fatalf("ansible-playbook: %s\nsshd log:\n%s", res, e.sshd.Log())
	}
	before = ansibleCount(t, filepath.Join(out, "logins-before-reset"))
	after = e.sshd.Logins() - before
	t.Logf("ansible-playbook over 5 inventory names took %v; sshd logins: %d before meta: reset_connection, %d after it",
		took.Round(time.Millisecond), before, after)
	for i := 1; i <= 5; i++ {
		name := "web" + strconv.Itoa(i)
		b, err := os.ReadFile(filepath.Join(out, name+".txt"))
		if want := "hello " + name + "\nsecond\n"; err != nil || string(b) != want {
			t.Errorf("%s.txt = %q, %v; want %q", name, b, err, want)
		}
	}
	return before, after
}

// ansibleAccount makes sure ansibleUser exists, unlocked and without a
// password (it logs in with the client's key), and that ansibleGroup does not; a
// cleanup removes the group again.
func ansibleAccount(t *testing.T) {
	t.Helper()
	if _, err := user.Lookup(ansibleUser); err != nil {
		res := harness.Run(t, 30*time.Second, exec.Command("useradd", "-m", "-s", "/bin/sh", ansibleUser))
		if res.Code != 0 {
			t.Fatalf("useradd %s: %s", ansibleUser, res)
		}
	}
	// No password, yet not locked: sshd refuses a locked account ("!")
	// even to a key.
	if res := harness.Run(t, 30*time.Second, exec.Command("usermod", "-p", "*", ansibleUser)); res.Code != 0 {
		t.Fatalf("usermod -p '*' %s: %s", ansibleUser, res)
	}
	dropGroup := func() {
		if _, err := user.LookupGroup(ansibleGroup); err == nil {
			if res := harness.Run(t, 30*time.Second, exec.Command("groupdel", ansibleGroup)); res.Code != 0 {
				t.Errorf("groupdel %s: %s", ansibleGroup, res)
			}
		}
	}
	dropGroup()
	t.Cleanup(dropGroup)
}

// ansibleKeysDir returns a directory, readable by every user, for the
// sshd's authorized_keys: sshd reads it as the user logging in, and the
// harness's own sshd directory is root's alone.
func ansibleKeysDir(t *testing.T) string {
	t.Helper()
	return shortTempDir(t, "sshshare-ansible-keys-", 0o755)
}

// ansibleProject writes ansible.cfg (as docs/ansible.md has it, plus -F
// for the client's config: ssh reads the password database's home, not
// HOME), the inventory (web1 to web5, each with ansible_host=box) and the
// playbook to a directory of its own, with an out directory every user
// may write to, and returns the directory.
func ansibleProject(t *testing.T, c *harness.Client) string {
	t.Helper()
	dir := shortTempDir(t, "sshshare-ansible-", 0o755)
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out, 0o1777); err != nil {
		t.Fatal(err)
	}
	cfg := strings.Join([]string{
		"[defaults]",
		"inventory = inventory.ini",
		"forks = 5",
		"interpreter_python = /usr/bin/python3",
		"",
		"[ssh_connection]",
		"ssh_args = -F " + c.ConfigPath,
		"pipelining = True",
		"",
	}, "\n")
	var inv strings.Builder
	inv.WriteString("[web]\n")
	for i := 1; i <= 5; i++ {
		inv.WriteString("web" + strconv.Itoa(i) + " ansible_host=box\n")
	}
	files := map[string]string{
		"ansible.cfg":   cfg,
		"inventory.ini": inv.String(),
		"site.yml":      ansiblePlaybook,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// ansibleCount reads the number a playbook task wrote to path.
func ansibleCount(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("login count: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("login count %s: %v", path, err)
	}
	return n
}
