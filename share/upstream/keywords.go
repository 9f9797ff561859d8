package upstream

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sshshare/sshshare/share/hint"
)

// Handling is what the master does with one keyword of the user's ssh
// configuration. The local ssh applies every keyword to its own hop (ssh
// to master); only the master's login reaches the server, so a keyword that
// shapes that login is either applied there, or the user is told.
type Handling string

// The handlings, as docs/config.md names them.
const (
	// LocalHop keywords shape only ssh's own side: the session, its
	// forwards, its escape character. The local ssh applies them.
	LocalHop Handling = "local hop"
	// Honoured keywords are applied to the master's upstream login.
	Honoured Handling = "honoured"
	// Partly honoured keywords are applied within the limits their note
	// states; where a limit would change the outcome, the master refuses
	// by name at that point.
	Partly Handling = "partly"
	// Warned keywords whose value matters are not applied upstream; the
	// master says so in one line on the stderr of the ssh that started it.
	Warned Handling = "warned"
	// Refused keywords whose value matters stop the master before any
	// login, with one line naming the keyword and a hint.
	Refused Handling = "refused"
)

// keyword is one entry of the table: a keyword as `ssh -G` prints it (lower
// case) and how the master treats it.
type keyword struct {
	name     string
	handling Handling
	// inert reports whether a value changes nothing upstream (the default,
	// or one the master does anyway): a warned or refused keyword with an
	// inert value passes silently. nil: every value matters.
	inert func(value string) bool
	note  string // what the master does, for docs/config.md
	hint  string // the fix, for a refused keyword
}

// values is an inert test that accepts the given values, case-insensitively.
func values(vs ...string) func(string) bool {
	return func(v string) bool {
		return slices.ContainsFunc(vs, func(w string) bool { return strings.EqualFold(v, w) })
	}
}

// off is the inert test of a yes/no keyword whose "yes" is not done.
var off = values("no", "false")

// noRekeyTime is RekeyLimit's inert test: the byte part is applied, the
// time part (ssh -G's second number) cannot be.
func noRekeyTime(v string) bool {
	_, secs, _ := strings.Cut(v, " ")
	return secs == "" || secs == "0" || strings.EqualFold(secs, "none")
}

// keywords is every keyword `ssh -G` prints on OpenSSH 9.2 (Debian's
// GSSAPI key-exchange patch included), with the ones it prints only when
// set. TestKeywordTableCoversSSHG keeps it complete on the test machine.
var keywords = []keyword{
	// Route and addressing.
	{name: "Host", handling: Honoured, note: "the alias: selects the Host and Match blocks of the master's own view"},
	{name: "HostName", handling: Honoured},
	{name: "Port", handling: Honoured},
	{name: "User", handling: Honoured},
	{name: "ProxyCommand", handling: Honoured, note: "sshshare's own line is the local hop and is left out of the master's view; the next ProxyCommand is the master's route, run as ssh runs it, its stderr shown by the ssh that starts the master. sshshare behind a wrapper other than a shell's `-c` is not recognised and is refused with a hint"},
	{name: "ProxyJump", handling: Honoured, note: "after sshshare's line (same block or a later one): the master dials through a tunnel-mode master for each jump host, so one bastion login serves every target behind it; `ssh://` hops and `none` as in ssh"},
	{name: "ProxyUseFdpass", handling: LocalHop, note: "must stay no: sshshare passes no file descriptor back, and ssh fails without one"},
	{name: "AddressFamily", handling: Honoured, note: "inet or inet6: the master dials that family only; a host name with no address in it fails as ssh's `Could not resolve hostname`"},
	{name: "BindAddress", handling: Honoured, note: "the master's connection comes from that address, resolved in the family of each address tried, as ssh does"},
	{name: "BindInterface", handling: Honoured, note: "as ssh does it: the connection comes from the interface's address (not SO_BINDTODEVICE); a loopback or link-local address only on a loopback interface"},
	{name: "ConnectionAttempts", handling: Honoured, note: "one second apart, each bounded by ConnectTimeout, as ssh; a host name that does not resolve is not tried again"},
	{name: "ConnectTimeout", handling: Honoured, note: "unset means 30 s for the master's own TCP dial, so a dead network fails instead of hanging; through a ProxyCommand, unset means the server's banner is awaited up to 10 minutes (a login URL may be waiting in a browser)"},
	{name: "TCPKeepAlive", handling: Honoured, note: "no turns the upstream socket's keep-alive probes off"},
	{name: "IPQoS", handling: Honoured, note: "the interactive value marks the whole upstream connection (IP_TOS, IPV6_TCLASS): it carries every client's terminals and copies alike, and a keystroke must not queue behind a copy; none leaves it unmarked; not set on Windows"},
	{name: "ServerAliveInterval", handling: Honoured, note: "bounds how long a dead upstream goes unnoticed (docs/lifecycle.md)"},
	{name: "ServerAliveCountMax", handling: Honoured},
	{name: "RekeyLimit", handling: Warned, inert: noRekeyTime, note: "its time limit: golang.org/x/crypto/ssh rekeys on data only (the byte limit is applied)"},
	{name: "Compression", handling: Warned, inert: off, note: "golang.org/x/crypto/ssh has no zlib: the upstream is not compressed"},
	{name: "CanonicalizeHostname", handling: LocalHop, note: "the local ssh canonicalises before it runs sshshare; OpenSSH applies `yes` only without a ProxyCommand, so use `always`"},
	{name: "CanonicalDomains", handling: LocalHop},
	{name: "CanonicalizeFallbackLocal", handling: LocalHop},
	{name: "CanonicalizeMaxDots", handling: LocalHop},
	{name: "CanonicalizePermittedCNAMEs", handling: LocalHop},

	// Algorithms.
	{name: "Ciphers", handling: Honoured, note: "upstream: the list as ssh -G resolves it, less what x/crypto lacks (aes192-cbc, aes256-cbc), AES-GCM first when listed (x/crypto's chacha20-poly1305 costs twice the CPU), the rest in its order; a list with nothing x/crypto has is refused before any connection. The local hop accepts the client's list"},
	{name: "KexAlgorithms", handling: Honoured, note: "upstream: as ssh -G resolves it, less what x/crypto lacks (sntrup761x25519-sha512, diffie-hellman-group18-sha512); refused before any connection when nothing is left; SHA-1 key exchange only when listed"},
	{name: "MACs", handling: Honoured, note: "upstream: as ssh -G resolves it, less what x/crypto lacks (umac-*, hmac-sha1-etm, md5); refused when nothing is left"},
	{name: "HostKeyAlgorithms", handling: Honoured, note: "upstream: the types known_hosts has for the host first, within the list (a running master's later logins: the type of its pinned key first); ssh-rsa (SHA-1) and ssh-dss only when listed; sk- host keys are not supported. The local hop makes an RSA, P-384 or P-521 key on demand for a client that takes neither P-256 nor Ed25519"},
	{name: "PubkeyAcceptedAlgorithms", handling: Honoured, note: "keys of other types are not tried; RSA keys sign only with the RSA algorithms listed"},
	{name: "CASignatureAlgorithms", handling: Honoured, note: "a host certificate signed with an algorithm the list leaves out is checked as its plain key, as ssh does"},
	{name: "HostbasedAcceptedAlgorithms", handling: LocalHop, note: "host-based authentication is not done (see hostbasedauthentication)"},
	{name: "RequiredRSASize", handling: Honoured, note: "a smaller RSA host key is refused, smaller RSA identity keys are skipped, as ssh"},

	// Authentication and keys.
	{name: "IdentityFile", handling: Honoured, note: "OpenSSH, PEM and PKCS#8 keys; passphrases are asked through the waiting ssh"},
	{name: "CertificateFile", handling: Honoured},
	{name: "IdentitiesOnly", handling: Honoured},
	{name: "IdentityAgent", handling: Honoured},
	{name: "AddKeysToAgent", handling: Honoured, note: "a key the master unlocks is added to the agent it uses (ask, confirm and a lifetime as ssh)"},
	{name: "PKCS11Provider", handling: Partly, note: "only through an agent that holds the token's keys (`ssh-add -s`); a token key the server accepts and the agent lacks is refused by name"},
	{name: "SecurityKeyProvider", handling: Partly, note: "FIDO keys only through an agent that holds them; an sk- identity file the server accepts and the agent lacks is refused by name"},
	{name: "PubkeyAuthentication", handling: Honoured},
	{name: "PasswordAuthentication", handling: Honoured},
	{name: "KbdInteractiveAuthentication", handling: Honoured, note: "no on the local hop: the master's password question is asked through the password method; a passphrase, MFA or host key question is refused by name"},
	{name: "KbdInteractiveDevices", handling: Warned, note: "no device hint is sent"},
	{name: "NumberOfPasswordPrompts", handling: Honoured},
	{name: "PreferredAuthentications", handling: Honoured, note: "hostbased entries are skipped; gssapi-with-mic is tried last and refused by name; on the local hop, password alone answers the master's password question"},
	{name: "BatchMode", handling: Honoured},
	{name: "HostbasedAuthentication", handling: Refused, inert: off,
		note: "x/crypto has no host-based client", hint: "set HostbasedAuthentication no for this host, or leave sshshare's ProxyCommand out of its Host block"},
	{name: "EnableSSHKeysign", handling: LocalHop, note: "used only by host-based authentication, which the master does not do"},
	{name: "GSSAPIAuthentication", handling: Partly, note: "GSSAPI (Kerberos) is not done: the login goes on with the other methods, and is refused by name if it comes down to gssapi-with-mic"},
	{name: "GSSAPIDelegateCredentials", handling: Partly, note: "GSSAPI is not done, so no credentials are delegated"},
	{name: "GSSAPIClientIdentity", handling: Partly, note: "GSSAPI is not done"},
	{name: "GSSAPIServerIdentity", handling: Partly, note: "GSSAPI is not done"},
	{name: "GSSAPITrustDns", handling: Partly, note: "GSSAPI is not done"},
	{name: "GSSAPIKeyExchange", handling: Warned, inert: off, note: "GSSAPI key exchange is not done: the host key is checked against known_hosts"},
	{name: "GSSAPIKexAlgorithms", handling: Partly, note: "GSSAPI key exchange is not done"},
	{name: "GSSAPIRenewalForcesRekey", handling: Partly, note: "GSSAPI key exchange is not done"},

	// Host-key trust.
	{name: "UserKnownHostsFile", handling: Honoured},
	{name: "GlobalKnownHostsFile", handling: Honoured, note: "sshshare's own known_hosts file there is the local hop's and is left out upstream"},
	{name: "HostKeyAlias", handling: Honoured, note: "looked up and recorded without the port, as ssh"},
	{name: "HashKnownHosts", handling: Honoured},
	{name: "StrictHostKeyChecking", handling: Honoured, note: "a changed host key is refused whatever the value"},
	{name: "KnownHostsCommand", handling: Honoured, note: "run as ssh runs it, its lines used and never written down; sshshare's own `sshshare known-hosts` answers for the local hop only"},
	{name: "RevokedHostKeys", handling: Honoured, note: "a KRL (checked by ssh-keygen -Q) or a list of keys; a revoked key or CA is refused whatever StrictHostKeyChecking says, and a file that cannot be read refuses every key"},
	{name: "NoHostAuthenticationForLocalhost", handling: Honoured, note: "for a loopback address the master dialled itself (not through ProxyCommand or ProxyJump), without HostKeyAlias, as ssh"},
	{name: "CheckHostIP", handling: Honoured},
	{name: "VerifyHostKeyDNS", handling: Partly, note: "SSHFP records are not looked up: with yes or ask, a key only DNS could vouch for is refused by name"},
	{name: "UpdateHostKeys", handling: Partly, note: "the master learns no new host keys"},
	{name: "FingerprintHash", handling: Partly, note: "the master's host-key questions show SHA256 fingerprints"},
	{name: "VisualHostKey", handling: LocalHop, note: "the master's host-key questions show no ASCII art"},

	// Sessions, forwards and the local ssh's own behaviour.
	{name: "ControlMaster", handling: LocalHop, note: "`no` with the mux door's ControlPath (docs/doors.md); anything else on that path is refused; a ControlMaster of your own in front of sshshare works and keeps the sshshare master busy while it persists"},
	{name: "ControlPath", handling: LocalHop, note: "the mux door when it names the master's mux socket (docs/doors.md)"},
	{name: "ControlPersist", handling: LocalHop},
	{name: "ForwardAgent", handling: LocalHop, note: "per client: each ssh's remote sessions use its own agent; an ssh whose agent lists other keys than the one already forwarded gets an upstream connection of its own (one more login), or runs without it if that login cannot be made"},
	{name: "ForwardX11", handling: LocalHop, note: "each remote X client reaches the display of the ssh whose session it runs in"},
	{name: "ForwardX11Timeout", handling: LocalHop},
	{name: "ForwardX11Trusted", handling: LocalHop},
	{name: "XAuthLocation", handling: LocalHop},
	{name: "SendEnv", handling: LocalHop, note: "per client"},
	{name: "SetEnv", handling: LocalHop, note: "per client"},
	{name: "RemoteCommand", handling: LocalHop},
	{name: "RequestTTY", handling: LocalHop},
	{name: "SessionType", handling: LocalHop},
	{name: "StdinNull", handling: LocalHop},
	{name: "ForkAfterAuthentication", handling: LocalHop},
	{name: "EscapeChar", handling: LocalHop},
	{name: "EnableEscapeCommandline", handling: LocalHop},
	{name: "LocalForward", handling: LocalHop},
	{name: "DynamicForward", handling: LocalHop},
	{name: "RemoteForward", handling: LocalHop, note: "carried by the master's upstream for the ssh that asked"},
	{name: "PermitRemoteOpen", handling: LocalHop},
	{name: "GatewayPorts", handling: LocalHop, note: "also where the mux door's -L and -D listen (docs/doors.md)"},
	{name: "ClearAllForwardings", handling: LocalHop},
	{name: "ExitOnForwardFailure", handling: LocalHop},
	{name: "StreamLocalBindMask", handling: LocalHop},
	{name: "StreamLocalBindUnlink", handling: LocalHop},
	{name: "LocalCommand", handling: LocalHop},
	{name: "PermitLocalCommand", handling: LocalHop},
	{name: "Tunnel", handling: LocalHop},
	{name: "TunnelDevice", handling: LocalHop},
	{name: "LogLevel", handling: LocalHop, note: "`ssh -v` shows the local hop; the master logs to its own file (`sshshare status`). QUIET, FATAL and ERROR also silence the master's \"Permanently added\" line, as ssh's"},
	{name: "LogVerbose", handling: LocalHop},
	{name: "SyslogFacility", handling: LocalHop},
	{name: "IgnoreUnknown", handling: LocalHop},
}

// keywordIndex finds a keyword's entry by name.
var keywordIndex = func() map[string]*keyword {
	m := make(map[string]*keyword, len(keywords))
	for i := range keywords {
		m[strings.ToLower(keywords[i].name)] = &keywords[i]
	}
	return m
}()

// lookupKeyword returns the entry for a keyword as `ssh -G` prints it.
func lookupKeyword(name string) (*keyword, bool) {
	k, ok := keywordIndex[strings.ToLower(name)]
	return k, ok
}

// matters reports whether value is one the master cannot just let pass.
func (k *keyword) matters(value string) bool {
	return k.inert == nil || !k.inert(value)
}

// KeywordError is a keyword of the user's config whose value the master
// cannot honour; it stops the master before any login.
type KeywordError struct {
	Keyword, Value string
	note           string
}

func (e *KeywordError) Error() string {
	return fmt.Sprintf("%s %s: not supported by the sshshare master (%s)", e.Keyword, e.Value, e.note)
}

// review applies the table to one line of `ssh -G`: it records the
// warning for a warned keyword, the error for a refused one (the first
// stops the master), a keyword newer than the table, for the log, and
// what makes the OpenSSH engine needed.
func (c *HostConfig) review(key, value string) {
	k, ok := lookupKeyword(key)
	if ok && k.goCannot(value) {
		c.NeedsOpenSSH = append(c.NeedsOpenSSH, k.name+" "+value)
	}
	switch {
	case !ok:
		c.Unclassified = append(c.Unclassified, key)
	case !k.matters(value):
	case k.handling == Warned:
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s %s is not applied upstream: %s", k.name, value, k.note))
	case k.handling == Refused && c.Refusal == nil:
		c.Refusal = hint.With(&KeywordError{Keyword: k.name, Value: value, note: k.note}, k.hint)
	}
}

// openSSHOnly are the partly honoured keywords whose value, when it
// matters, the Go engine cannot honour at all: the engine choice EngineAuto
// then takes OpenSSH. GSSAPIAuthentication alone is not among them:
// Debian's /etc/ssh/ssh_config sets it for every host, and the Go engine
// refuses by name only a login that comes down to it.
var openSSHOnly = map[string]func(string) bool{
	"gssapidelegatecredentials": off,
	"pkcs11provider":            values("", "none"),
}

// goCannot reports whether value is one the Go engine cannot honour.
func (k *keyword) goCannot(value string) bool {
	if inert, ok := openSSHOnly[strings.ToLower(k.name)]; ok {
		return !inert(value)
	}
	return (k.handling == Warned || k.handling == Refused) && k.matters(value)
}

// keywordTable renders the table as docs/config.md publishes it.
func keywordTable() string {
	var b strings.Builder
	b.WriteString("| keyword | handling | what the master does |\n|---|---|---|\n")
	for _, k := range keywords {
		note := k.note
		if k.hint != "" {
			note += "; fix: " + k.hint
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", k.name, k.handling, note)
	}
	return b.String()
}
