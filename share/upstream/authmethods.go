package upstream

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sshshare/sshshare/share/hint"

	"golang.org/x/crypto/ssh"
)

// defaultPreferred is ssh's default PreferredAuthentications less
// hostbased, which x/crypto cannot do.
var defaultPreferred = []string{"gssapi-with-mic", "publickey", "keyboard-interactive", "password"}

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
	gssapi := false
	for _, name := range order {
		switch {
		case name == "publickey" && d.Config.PubkeyAuthentication:
			methods = append(methods, ssh.PublicKeysCallback(keys.recordedSigners))
		case name == "keyboard-interactive" && d.Config.KbdInteractiveAuthentication && d.interactive():
			methods = append(methods, ssh.RetryableAuthMethod(ssh.KeyboardInteractive(d.kbdInteractiveFor(keys)), tries))
		case name == "password" && d.Config.PasswordAuthentication && d.interactive():
			methods = append(methods, ssh.RetryableAuthMethod(ssh.PasswordCallback(d.passwordFor(keys)), tries))
		case name == "gssapi-with-mic" && d.Config.GSSAPIAuthentication:
			gssapi = true
		}
	}
	if gssapi {
		// Last: x/crypto tries it only when every other method failed or
		// the server offers nothing else, where ssh's Kerberos login
		// would decide.
		methods = append(methods, ssh.GSSAPIWithMICAuthMethod(noGSSAPI{}, d.Config.HostName))
	}
	return methods
}

// kbdInteractiveFor relays keyboard-interactive rounds unless a key the
// server accepted has already ended the login.
func (d *Dialer) kbdInteractiveFor(keys *keyring) ssh.KeyboardInteractiveChallenge {
	return func(name, instruction string, questions []string, echos []bool) ([]string, error) {
		if keys.halted != nil {
			return nil, keys.halted
		}
		keys.asked = true
		return d.kbdInteractive(name, instruction, questions, echos)
	}
}

// passwordFor asks for the password unless a key the server accepted has
// already ended the login.
func (d *Dialer) passwordFor(keys *keyring) func() (string, error) {
	return func() (string, error) {
		if keys.halted != nil {
			return "", keys.halted
		}
		keys.asked = true
		return d.password()
	}
}

// noGSSAPI is the GSSAPI client of a master, which has no Kerberos: it
// refuses by name when the login comes down to gssapi-with-mic, so a
// Kerberos-only server is not a bare "unable to authenticate". A mere
// GSSAPIAuthentication yes (Debian's ssh_config sets it for every host)
// changes nothing otherwise.
type noGSSAPI struct{}

// ErrGSSAPI is the refusal of a login that only Kerberos could make.
var ErrGSSAPI = hint.With(errors.New("GSSAPI (Kerberos) authentication is not supported by the master (its Go engine), and the server accepts no other method the config allows"),
	"add --engine openssh to sshshare's ProxyCommand line (the master then logs in with your ssh), or let this host log you in with a key or password")

// gssapiDecided reports whether a failed login came down to
// gssapi-with-mic: noGSSAPI refused, or the server answered the method's
// first request with a failure (it lists the method but has no credential
// to offer), which x/crypto reports as an unexpected message where it
// expected SSH_MSG_USERAUTH_GSSAPI_RESPONSE (60). x/crypto tries the
// method only when the server lists it and every other method failed; a
// login that asked a password or answers failed on those, not on GSSAPI.
func (d *Dialer) gssapiDecided(err error, keys *keyring) bool {
	if keys.asked {
		return false
	}
	if errors.Is(err, ErrGSSAPI) {
		return true
	}
	return d.Config.GSSAPIAuthentication && strings.Contains(err.Error(), "expected one of [60]")
}

func (noGSSAPI) InitSecContext(string, []byte, bool) ([]byte, bool, error) {
	return nil, false, ErrGSSAPI
}
func (noGSSAPI) GetMIC([]byte) ([]byte, error) { return nil, ErrGSSAPI }
func (noGSSAPI) DeleteSecContext() error       { return nil }

// interactive reports whether the login may ask the user anything.
func (d *Dialer) interactive() bool {
	return d.Prompter != nil && !d.Config.BatchMode
}

// kbdInteractive relays one keyboard-interactive round from the server,
// its text marked where it imitates the master's own (serverText).
func (d *Dialer) kbdInteractive(name, instruction string, questions []string, echos []bool) ([]string, error) {
	prompts := make([]string, len(questions))
	for i, q := range questions {
		prompts[i] = serverText(q)
	}
	return d.Prompter.Ask(Question{Name: serverText(name), Instruction: serverText(instruction), Prompts: prompts, Echos: echos})
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
