package upstream

import (
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// defaultPreferred is ssh's PreferredAuthentications less gssapi.
var defaultPreferred = []string{"publickey", "keyboard-interactive", "password"}

// authMethods builds the upstream login's methods in the order of
// PreferredAuthentications, honouring PubkeyAuthentication,
// KbdInteractiveAuthentication, PasswordAuthentication and
// NumberOfPasswordPrompts. Interactive methods need a prompter; without
// one (BatchMode, or a pooled connection with nobody to ask) only keys are
// used. x/crypto follows the server's partial successes, so chains like
// AuthenticationMethods publickey,keyboard-interactive work.
func (d *Dialer) authMethods(keys *keyring) []ssh.AuthMethod {
	order := d.Config.PreferredAuthentications
	if len(order) == 0 {
		order = defaultPreferred
	}
	tries := max(d.Config.NumberOfPasswordPrompts, 1)
	var methods []ssh.AuthMethod
	for _, name := range order {
		switch {
		case name == "publickey" && d.Config.PubkeyAuthentication:
			methods = append(methods, ssh.PublicKeysCallback(keys.signers))
		case name == "keyboard-interactive" && d.Config.KbdInteractiveAuthentication && d.interactive():
			methods = append(methods, ssh.RetryableAuthMethod(ssh.KeyboardInteractive(d.kbdInteractive), tries))
		case name == "password" && d.Config.PasswordAuthentication && d.interactive():
			methods = append(methods, ssh.RetryableAuthMethod(ssh.PasswordCallback(d.password), tries))
		}
	}
	return methods
}

// interactive reports whether the login may ask the user anything.
func (d *Dialer) interactive() bool {
	return d.Prompter != nil && !d.Config.BatchMode
}

// kbdInteractive relays one keyboard-interactive round from the server.
func (d *Dialer) kbdInteractive(name, instruction string, questions []string, echos []bool) ([]string, error) {
	return d.Prompter.Ask(Question{Name: name, Instruction: instruction, Prompts: questions, Echos: echos})
}

// password asks for the password the way ssh words it.
func (d *Dialer) password() (string, error) {
	prompt := fmt.Sprintf("%s@%s's password: ", d.Config.User, d.Config.HostName)
	answers, err := d.Prompter.Ask(Question{Prompts: []string{prompt}, Echos: []bool{false}, Password: true})
	if err != nil {
		return "", err
	}
	if len(answers) != 1 {
		return "", fmt.Errorf("password prompt: got %d answers", len(answers))
	}
	return answers[0], nil
}

// methodNames lists what a login may try, for error messages.
func (d *Dialer) methodNames() string {
	var names []string
	if d.Config.PubkeyAuthentication {
		names = append(names, "publickey")
	}
	if d.interactive() {
		names = append(names, "keyboard-interactive", "password")
	}
	return strings.Join(names, ",")
}
