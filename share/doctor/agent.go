package doctor

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh/agent"

	"github.com/sshshare/sshshare/tokens"
)

// agentWait bounds the talk with the agent.
const agentWait = 2 * time.Second

// CheckAgent looks at what the master would log in with, as c (ssh -G of
// the host) names it: the agent (IdentityAgent, else SSH_AUTH_SOCK) and
// how many keys it holds, and the IdentityFile entries that exist.
func CheckAgent(c Config, getenv func(string) string) []Finding {
	keys, agentFinding := checkAgentSocket(agentSocket(c, getenv))
	files := identityFiles(c)
	out := []Finding{agentFinding}
	switch {
	case len(files) > 0:
		out = append(out, ok("login.identityfiles", "identity files: "+strings.Join(files, ", ")))
	case keys == 0 && !strings.EqualFold(c.Get("pubkeyauthentication"), "no"):
		out = append(out, warn("login.identityfiles", "no key: the agent holds none and no IdentityFile exists, so the master logs in with a password or keyboard-interactive, if the server takes one",
			"ssh-add a key to your agent, or name one with IdentityFile in the Host block"))
	default:
		out = append(out, ok("login.identityfiles", "no identity file exists; the master uses the agent's keys"))
	}
	return out
}

// agentSocket is the agent the master would use: IdentityAgent, where
// SSH_AUTH_SOCK (or unset) means the environment's, and none means none.
func agentSocket(c Config, getenv func(string) string) string {
	v := c.Get("identityagent")
	switch {
	case strings.EqualFold(v, "none"):
		return ""
	case v == "" || v == "SSH_AUTH_SOCK":
		return getenv("SSH_AUTH_SOCK")
	case strings.HasPrefix(v, "$"):
		return getenv(strings.Trim(v[1:], "{}"))
	}
	return expandPath(v)
}

// checkAgentSocket counts the keys of the agent at sock.
func checkAgentSocket(sock string) (int, Finding) {
	if sock == "" {
		return 0, ok("login.agent", "no agent (SSH_AUTH_SOCK unset, or IdentityAgent none): the master logs in with identity files")
	}
	conn, err := net.DialTimeout("unix", sock, agentWait)
	if err != nil {
		return 0, warn("login.agent", "agent "+sock+" does not answer: "+err.Error(),
			"start an agent (`eval $(ssh-agent)`, then `ssh-add`), or unset SSH_AUTH_SOCK")
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(agentWait))
	keys, err := agent.NewClient(conn).List()
	if err != nil {
		return 0, warn("login.agent", "agent "+sock+": "+err.Error(), "restart the agent")
	}
	return len(keys), ok("login.agent", fmt.Sprintf("agent %s holds %d keys", sock, len(keys)))
}

// identityFiles are c's IdentityFile entries that exist, ~ and tokens
// expanded as ssh expands them.
func identityFiles(c Config) []string {
	var out []string
	for _, f := range c["identityfile"] {
		if p := expandPath(f); p != "" {
			if _, err := os.Stat(p); err == nil {
				out = append(out, p)
			}
		}
	}
	return out
}

// expandPath expands ~ and the local %-tokens in a path from ssh -G.
func expandPath(p string) string {
	v, err := tokens.Local("", "", "", "")
	if err != nil {
		return p
	}
	if e, err := tokens.ExpandTilde(p, v); err == nil {
		p = e
	}
	if e, err := tokens.ExpandTokens(p, v, nil); err == nil {
		p = e
	}
	return p
}
