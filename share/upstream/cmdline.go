package upstream

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// The ssh that runs sshshare as its ProxyCommand may have been given
// options that change how it would log in upstream: `ssh -i key host`,
// `ssh -o Ciphers=aes128-ctr host`, `ssh -4 host`. They are part of the
// master's view of the host: the master passes them to `ssh -G`, and they
// are part of the master's key, so `ssh -i other host` never rides a login
// made with another key. CommandLine reads them from ssh's own argv.

// sshOptstring is OpenSSH 9.x's getopt string (ssh.c): a letter followed
// by a colon takes an argument.
const sshOptstring = "1246ab:c:e:fgi:kl:m:no:p:qstvxAB:CD:E:F:GI:J:KL:MNO:P:Q:R:S:TVw:W:XYy"

// viewOptions are the options that shape the upstream login, and whether
// each is part of the master's key. -p and -l are not: the port and user
// ssh resolved are already in the socket name (%p %r). -C is not: it cannot
// be honoured upstream, only warned about. -F is read apart (ConfigFile).
var viewOptions = map[byte]bool{
	'4': true, '6': true, // AddressFamily
	'b': true, 'B': true, // BindAddress, BindInterface
	'c': true, 'm': true, // Ciphers, MACs
	'i': true, 'I': true, // IdentityFile, PKCS11Provider
	'k': true, 'K': true, // GSSAPI delegation and authentication
	'P': true, // Tag (OpenSSH 9.4+): selects Match tagged blocks
	'o': true, // by keyword: see localOnly and unkeyed
	'p': false, 'l': false, 'C': false,
}

// localOnly are the -o keywords that act on the local ssh alone (its
// session, forwards, escape character, control socket, logging): they are
// neither passed to the master nor part of its key. scp, sftp, rsync and
// git add some of them to every ssh they run.
var localOnly = map[string]bool{
	"batchmode": true, "clearallforwardings": true, "controlmaster": true, "controlpath": true,
	"controlpersist": true, "dynamicforward": true, "escapechar": true, "exitonforwardfailure": true,
	"forkafterauthentication": true, "forwardagent": true, "forwardx11": true, "forwardx11timeout": true,
	"forwardx11trusted": true, "gatewayports": true, "localcommand": true, "localforward": true,
	"loglevel": true, "logverbose": true, "permitlocalcommand": true, "permitremoteopen": true,
	"remotecommand": true, "remoteforward": true, "requesttty": true, "sendenv": true,
	"sessiontype": true, "setenv": true, "stdinnull": true, "streamlocalbindmask": true,
	"streamlocalbindunlink": true, "syslogfacility": true, "tunnel": true, "tunneldevice": true,
	"visualhostkey": true, "obscurekeystroketiming": true, "enableescapecommandline": true,
	"proxyusefdpass": true,
}

// unkeyed are the -o keywords the master is given but that are not part of
// its key: they set timing and counts of its upstream, not who it logs in
// as, where it goes or what it trusts, so ssh that differ only in them
// share a master (the first one's values apply).
var unkeyed = map[string]bool{
	"connecttimeout": true, "connectionattempts": true, "serveraliveinterval": true,
	"serveralivecountmax": true, "tcpkeepalive": true, "ipqos": true, "rekeylimit": true,
	"numberofpasswordprompts": true, "compression": true, "port": true, "user": true,
}

// pathOptions are the -o keywords whose value is one file that ssh opens
// relative to its working directory; CommandLine makes them absolute.
var pathOptions = map[string]bool{"identityfile": true, "certificatefile": true}

// CommandLine is what the invoking ssh's argv says about the upstream.
type CommandLine struct {
	// Host is the destination's host as typed: ssh's %n, which selects
	// Host blocks (the alias).
	Host string
	// ConfigFile is ssh's -F, absolute, or "none" as given (no config
	// file; see NoConfig); "" for the default config.
	ConfigFile string
	// Args are the upstream-shaping options for `ssh -G`, one argument
	// each in getopt's joined form (-i/abs/key, -oCiphers=aes128-ctr, -4).
	Args []string
	// keyed marks the Args that are part of the master's key.
	keyed []bool
	// NoSession is set by -N or -o SessionType=none: ssh runs no remote
	// command, only forwards.
	NoSession bool
	// ForwardAgent is the first -o ForwardAgent value, as ssh takes it;
	// -A and -a are "yes" and "no".
	ForwardAgent string
}

// ParseCommandLine reads ssh's argv (argv[0] included) with ssh's own
// getopt rules: options may be joined (-ikey, -oX=Y), `--` ends them, the
// first other argument is the destination ([user@]host or
// ssh://[user@]host[:port]), and options may follow it until the command.
// Relative file arguments are made absolute against cwd, where ssh would
// open them. An option ssh does not know is an error, as it is to ssh.
func ParseCommandLine(argv []string, cwd string) (CommandLine, error) {
	var cl CommandLine
	if len(argv) == 0 {
		return cl, errors.New("empty command line")
	}
	args := argv[1:]
	for {
		rest, terminated, err := cl.options(args, cwd)
		if err != nil {
			return cl, err
		}
		if len(rest) == 0 || cl.Host != "" {
			break
		}
		if cl.Host, err = destinationHost(rest[0]); err != nil {
			return cl, err
		}
		if terminated {
			break
		}
		args = rest[1:]
	}
	if cl.Host == "" {
		return cl, errors.New("no destination")
	}
	return cl, nil
}

// options reads options from the front of args as BSD getopt does, and
// returns the arguments left and whether `--` ended the options.
func (cl *CommandLine) options(args []string, cwd string) ([]string, bool, error) {
	for len(args) > 0 {
		arg := args[0]
		if arg == "--" {
			return args[1:], true, nil
		}
		if len(arg) < 2 || arg[0] != '-' {
			return args, false, nil
		}
		args = args[1:]
		for i := 1; i < len(arg); i++ {
			opt := arg[i]
			at := strings.IndexByte(sshOptstring, opt)
			if opt == ':' || at < 0 {
				return nil, false, fmt.Errorf("unknown option -%c", opt)
			}
			if at+1 == len(sshOptstring) || sshOptstring[at+1] != ':' {
				cl.add(opt, "", cwd)
				continue
			}
			value := arg[i+1:]
			if value == "" {
				if len(args) == 0 {
					return nil, false, fmt.Errorf("option -%c needs an argument", opt)
				}
				value, args = args[0], args[1:]
			}
			cl.add(opt, value, cwd)
			break
		}
	}
	return nil, false, nil
}

// add records option opt with its value if it shapes the upstream.
func (cl *CommandLine) add(opt byte, value, cwd string) {
	keyed, ok := viewOptions[opt]
	switch {
	case opt == 'N':
		cl.NoSession = true
		return
	case (opt == 'A' || opt == 'a') && cl.ForwardAgent == "":
		cl.ForwardAgent = map[byte]string{'A': "yes", 'a': "no"}[opt]
		return
	case opt == 'o' && cl.ForwardAgent == "" && isKeyword(value, "forwardagent"):
		_, cl.ForwardAgent = splitOption(value)
		return
	case opt == 'o' && strings.EqualFold(strings.Join(strings.Fields(strings.Replace(value, "=", " ", 1)), " "), "sessiontype none"):
		cl.NoSession = true
		return
	case opt == 'F' && NoConfig(value):
		cl.ConfigFile = value
		return
	case opt == 'F':
		cl.ConfigFile = absolute(value, cwd)
		return
	case !ok:
		return
	case opt == 'i':
		value = absolute(value, cwd)
	case opt == 'o':
		keyword, rest := splitOption(value)
		if localOnly[keyword] || keyword == "proxycommand" {
			// A ProxyCommand on ssh's command line is the one ssh ran:
			// sshshare's own line, which the master's view leaves out.
			return
		}
		keyed = !unkeyed[keyword]
		if pathOptions[keyword] {
			value = value[:len(value)-len(rest)] + absolute(rest, cwd)
		}
	}
	cl.Args = append(cl.Args, "-"+string(opt)+value)
	cl.keyed = append(cl.keyed, keyed)
}

// isKeyword reports whether the -o value sets keyword.
func isKeyword(value, keyword string) bool {
	k, _ := splitOption(value)
	return k == keyword
}

// splitOption splits an -o value, "Keyword=value" or "Keyword value", as
// ssh's config parser does, into the lowercased keyword and the value.
func splitOption(s string) (keyword, value string) {
	end := strings.IndexAny(s, " \t=")
	if end < 0 {
		return strings.ToLower(s), ""
	}
	value = strings.TrimLeft(s[end:], " \t")
	value = strings.TrimPrefix(value, "=")
	value = strings.TrimLeft(value, " \t")
	return strings.ToLower(s[:end]), value
}

// NoConfig reports whether an -F value is ssh's "none" (any case): read
// no config file at all, not a file of that name.
func NoConfig(file string) bool { return strings.EqualFold(file, "none") }

// absolute makes a relative path absolute against cwd, as the file ssh
// would open. Paths ssh expands itself (~, %-tokens, ${VAR}) are kept.
func absolute(path, cwd string) string {
	if path == "" || cwd == "" || filepath.IsAbs(path) || strings.ContainsAny(path, "~%$") {
		return path
	}
	return filepath.Join(cwd, path)
}

// destinationHost is the host of ssh's destination argument, as ssh
// parses it: ssh://[user@]host[:port] or [user@]host.
func destinationHost(dest string) (string, error) {
	if rest, ok := strings.CutPrefix(dest, "ssh://"); ok {
		if i := strings.LastIndex(rest, "@"); i >= 0 {
			rest = rest[i+1:]
		}
		rest, _, _ = strings.Cut(rest, "/")
		if strings.HasPrefix(rest, "[") {
			host, _, ok := strings.Cut(rest[1:], "]")
			if !ok {
				return "", fmt.Errorf("destination %q: unclosed [", dest)
			}
			rest = host
		} else {
			rest, _, _ = strings.Cut(rest, ":")
		}
		dest = rest
	} else if i := strings.LastIndex(dest, "@"); i >= 0 {
		dest = dest[i+1:]
	}
	if dest == "" {
		return "", errors.New("destination has no host")
	}
	return dest, nil
}

// Key is a short digest of what in the view shapes the upstream beyond the
// target's user, host and port: the alias when it differs from host (it
// selects other Host blocks), the config file, and the keyed options. It
// is "" when there is none of these, so the common case keeps the plain
// socket name. 64 bits: the views one user runs never meet by accident.
func (cl CommandLine) Key(host string) string {
	var parts []string
	if cl.Host != "" && cl.Host != host {
		parts = append(parts, "alias "+cl.Host)
	}
	if cl.ConfigFile != "" {
		parts = append(parts, "-F"+cl.ConfigFile)
	}
	for i, arg := range cl.Args {
		if cl.keyed[i] {
			parts = append(parts, arg)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:8])
}
