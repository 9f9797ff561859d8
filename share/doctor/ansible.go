package doctor

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Ansible runs ssh with its own ssh_args, by default `-C -o
// ControlMaster=auto -o ControlPersist=60s`, and a ControlPath of its own.
// Options on ssh's command line come before every config line, so they
// override sshshare's `ControlMaster no` and stack OpenSSH's sharing in
// front of sshshare (docs/ansible.md).

// ansibleDefaultArgs is Ansible's ssh_args when nothing sets it.
const ansibleDefaultArgs = "-C -o ControlMaster=auto -o ControlPersist=60s"

// ansibleFix is the fix for ssh_args that make ssh a ControlMaster.
const ansibleFix = "set ssh_args without ControlMaster and ControlPersist in ansible.cfg's [ssh_connection] section, e.g. an empty `ssh_args =`, and unset ANSIBLE_SSH_ARGS (docs/ansible.md)"

// controlMasterArg finds an ssh option that makes ssh a master.
var controlMasterArg = regexp.MustCompile(`(?i)ControlMaster[= ]\s*(yes|auto|ask|autoask)|ControlPersist`)

// CheckAnsible looks at the ssh_args Ansible would give ssh: from
// ANSIBLE_SSH_ARGS, else from the first ansible.cfg Ansible reads
// (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg),
// else Ansible's default. Without Ansible, and no config of it, it
// reports nothing.
func CheckAnsible(env Env) []Finding {
	if args := env.getenv("ANSIBLE_SSH_ARGS"); args != "" {
		return ansibleArgs(args, "ANSIBLE_SSH_ARGS")
	}
	file := ansibleConfig(env)
	if file != "" {
		if args, ok := sshArgs(file); ok {
			return ansibleArgs(args, "ssh_args in "+file)
		}
		return ansibleArgs(ansibleDefaultArgs, "Ansible's default ssh_args ("+file+" sets none)")
	}
	if _, err := exec.LookPath("ansible-playbook"); err == nil {
		return ansibleArgs(ansibleDefaultArgs, "Ansible's default ssh_args (no ansible.cfg)")
	}
	return nil
}

// ansibleArgs judges Ansible's ssh arguments args, found where from says.
func ansibleArgs(args, from string) []Finding {
	if controlMasterArg.MatchString(args) {
		return []Finding{warn("ansible.ssh_args", from+" `"+args+"` makes Ansible's ssh an OpenSSH ControlMaster in front of sshshare (command-line options override sshshare's `ControlMaster no`)", ansibleFix)}
	}
	return []Finding{ok("ansible.ssh_args", from+" `"+args+"` leave sharing to sshshare")}
}

// ansibleConfig is the ansible.cfg Ansible reads, "" for none.
func ansibleConfig(env Env) string {
	candidates := []string{env.getenv("ANSIBLE_CONFIG")}
	if env.WorkDir != "" {
		candidates = append(candidates, filepath.Join(env.WorkDir, "ansible.cfg"))
	}
	if env.Home != "" {
		candidates = append(candidates, filepath.Join(env.Home, ".ansible.cfg"))
	}
	for _, f := range append(candidates, "/etc/ansible/ansible.cfg") {
		if info, err := os.Stat(f); f != "" && err == nil && !info.IsDir() {
			return f
		}
	}
	return ""
}

// sshArgs reads ssh_args from the [ssh_connection] section of the INI
// file at path.
func sshArgs(path string) (string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		key, value, found := strings.Cut(line, "=")
		if found && section == "ssh_connection" && strings.TrimSpace(key) == "ssh_args" {
			return strings.TrimSpace(value), true
		}
	}
	return "", false
}
