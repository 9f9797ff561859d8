package upstream

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/sshshare/sshshare/share/hint"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// CheckHostIP yes (off by default since OpenSSH 8.5) makes ssh check the
// host key under the connected address too, once the name's check passed
// (sshconnect.c, check_host_key): a different key known for the address
// stops the connection unless StrictHostKeyChecking is no (ask asks), and
// an address not yet known is recorded next to the name.

// hostIP is the known_hosts name of the address to check the key under,
// or "" where ssh turns the check off: CheckHostIP no, a loopback address,
// a connection through a transport (ssh's ProxyCommand), a host given as
// that very address, or a certificate.
func (c *hostKeyCheck) hostIP(host string, port int, remote net.Addr, key ssh.PublicKey) string {
	if !c.CheckHostIP || !c.Direct {
		return ""
	}
	if _, cert := key.(*ssh.Certificate); cert {
		return ""
	}
	tcp, ok := remote.(*net.TCPAddr)
	if !ok || tcp.IP.IsLoopback() {
		return ""
	}
	ip := tcp.IP.String()
	if ip == host {
		return ""
	}
	return net.JoinHostPort(ip, strconv.Itoa(port))
}

// checkHostIP checks key, already accepted for name, under ipName, and
// records the address if it is new and record says ssh would.
func (c *hostKeyCheck) checkHostIP(name, ipName string, key ssh.PublicKey, record bool) error {
	if ipName == "" {
		return nil
	}
	db, fromCommand, err := c.withCommand("ADDRESS", knownHostsPattern(ipName), key)
	if err != nil {
		return &HostKeyError{Host: name, err: err}
	}
	err = db.HostKeyCallback()(ipName, nameAddr(ipName), key)
	var keyErr *xknownhosts.KeyError
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &keyErr):
		return &HostKeyError{Host: name, err: err}
	case len(keyErr.Want) == 0:
		if record && len(c.Files) > 0 {
			return c.record(ipName, key)
		}
		return nil
	}
	return c.ipChanged(name, ipName, key, keyErr.Want[0], fromCommand)
}

// ipChanged is ssh's "the ... host key for NAME differs from the key for
// the IP address": refused unless StrictHostKeyChecking is no, asked with ask.
func (c *hostKeyCheck) ipChanged(name, ipName string, key ssh.PublicKey, known xknownhosts.KnownKey, fromCommand string) error {
	where := fmt.Sprintf("%s:%d", known.Filename, known.Line)
	if fromCommand != "" && known.Filename == fromCommand {
		where = fmt.Sprintf("line %d of KnownHostsCommand's output", known.Line)
	}
	if c.offStrict() {
		return nil
	}
	msg := fmt.Sprintf("the %s host key for %s differs from the key for the IP address %s (offending key in %s)",
		keyTypeName(key), knownHostsPattern(name), knownHostsPattern(ipName), where)
	if c.Strict == "ask" && c.Prompter != nil {
		answers, err := c.Prompter.Ask(Question{Instruction: local("Warning: " + msg),
			Prompts: []string{local("Are you sure you want to continue connecting (yes/no)? ")}, Echos: []bool{true}})
		if err != nil {
			return err
		}
		if strings.EqualFold(strings.TrimSpace(strings.Join(answers, "")), "yes") {
			return nil
		}
	}
	err := fmt.Errorf("%s: refusing to log in, as CheckHostIP yes with StrictHostKeyChecking %s asks", msg, c.Strict)
	return hint.With(&HostKeyError{Host: name, Changed: true, err: err},
		fmt.Sprintf("if the address now belongs to this host: ssh-keygen -f %s -R %s", known.Filename, knownHostsPattern(ipName)))
}

// offStrict reports StrictHostKeyChecking no (or off).
func (c *hostKeyCheck) offStrict() bool {
	switch c.Strict {
	case "false", "no", "off":
		return true
	}
	return false
}
