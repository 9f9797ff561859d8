package main

import (
	"cmp"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sshshare/sshshare/share"
	"github.com/sshshare/sshshare/share/upstream"
	"github.com/sshshare/sshshare/tokens"
)

// ssh starts sshshare three times per connection: the ProxyCommand and
// KnownHostsCommand twice. Building kong's model of the whole command line
// costs about 1.5 ms of a start of about 5, so fastParse reads those two
// command lines by hand, and hands anything it does not fully understand
// to kong. TestFastParseAgreesWithKong checks that both read them alike.

// fastCommand is a command fastParse recognised, ready to run.
type fastCommand interface {
	run(stdout io.Writer) error
}

func (c ProxyCmd) run(io.Writer) error {
	return c.Run(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func (c KnownHostsCmd) run(stdout io.Writer) error { return c.Run(stdout) }

// commandNames are the words kong takes as a command rather than as the
// proxy's first argument.
var commandNames = []string{"proxy", "master", "start", "status", "stop", "logs", "config", "doctor", "path", "known-hosts", "version", "completion", "man", "__complete-hosts", "askpass"}

// fastParse returns the command args name when it is `known-hosts HOST`
// or a plain proxy command line, and false for anything else.
func fastParse(args []string) (fastCommand, bool) {
	if len(args) == 2 && args[0] == "known-hosts" && !strings.HasPrefix(args[1], "-") {
		return KnownHostsCmd{Host: args[1]}, true
	}
	if len(args) > 0 && args[0] == "proxy" {
		args = args[1:]
	}
	var f TargetFlags
	set := make(map[string]bool)
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		name, value, n := fastFlag(args)
		if n == 0 || set[name] || !f.setFast(name, value) {
			return nil, false
		}
		set[name] = true
		args = args[n:]
	}
	if len(args) != 3 || slices.Contains(commandNames, args[0]) {
		return nil, false
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			return nil, false
		}
	}
	f.User, f.Host, f.Port = args[0], args[1], args[2]
	if !f.fastDefaults(set) {
		return nil, false
	}
	return ProxyCmd{f}, true
}

// fastFlag reads the flag at the front of args, as "--name value",
// "--name=value" or "-F value". n is how many arguments it took, 0 for a
// form fastParse leaves to kong.
func fastFlag(args []string) (name, value string, n int) {
	arg := args[0]
	if arg == "-F" {
		arg = "--config"
	}
	if !strings.HasPrefix(arg, "--") {
		return "", "", 0
	}
	name = strings.TrimPrefix(arg, "--")
	if name, value, ok := strings.Cut(name, "="); ok {
		return name, value, 1
	}
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		return "", "", 0
	}
	return name, args[1], 2
}

// setFast sets the flag name, reporting false for a flag it does not know
// or a value kong would reject.
func (f *TargetFlags) setFast(name, value string) bool {
	switch name {
	case "config":
		f.ConfigFile = value
	case "alias":
		f.Alias = value
	case "control-path":
		f.ControlPath = value
	case "mux-path":
		f.MuxPath = value
	case "via":
		f.Via = value
	case "engine":
		f.Engine = value
		return slices.Contains(upstream.Engines, value)
	case "persist":
		d, err := time.ParseDuration(value)
		f.Persist = d
		return err == nil
	default:
		return false
	}
	return true
}

// fastDefaults fills the flags not given from the environment and the
// defaults, as the struct tags of TargetFlags say. It reports false when
// an environment value is one it leaves to kong: also any
// SSHSHARE_KEEP_ORPHANS, whose opt-out is rare enough to parse slowly.
func (f *TargetFlags) fastDefaults(set map[string]bool) bool {
	if _, ok := os.LookupEnv("SSHSHARE_KEEP_ORPHANS"); ok {
		return false
	}
	for _, name := range []string{"SSHSHARE_CONFIG", "SSHSHARE_CONTROL_PATH", "SSHSHARE_MUX_PATH", "SSHSHARE_PERSIST", "SSHSHARE_ENGINE"} {
		if v, ok := os.LookupEnv(name); ok && v == "" {
			return false
		}
	}
	if v := os.Getenv("SSHSHARE_CONFIG"); v != "" && !set["config"] {
		f.ConfigFile = v
	}
	if !set["control-path"] {
		f.ControlPath = cmp.Or(os.Getenv("SSHSHARE_CONTROL_PATH"), tokens.DefaultControlPath)
	}
	if !set["engine"] {
		f.Engine = cmp.Or(os.Getenv("SSHSHARE_ENGINE"), upstream.EngineAuto)
		if !slices.Contains(upstream.Engines, f.Engine) {
			return false
		}
	}
	if !set["mux-path"] {
		f.MuxPath = os.Getenv("SSHSHARE_MUX_PATH")
	}
	if !set["persist"] {
		return f.setFast("persist", cmp.Or(os.Getenv("SSHSHARE_PERSIST"), share.DefaultPersist.String()))
	}
	return true
}
