package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/sshshare/sshshare/share"
	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/localhop"
	"github.com/sshshare/sshshare/share/setup"
	"github.com/sshshare/sshshare/tokens"
)

// ConfigCmd prints sshshare's Host block, or installs it into the user's
// ssh config. Files go under $HOME; ssh reads `~` as the home directory
// of the password database, so where the two differ (a scratch HOME) the
// Include line and the known_hosts path are written in full.
type ConfigCmd struct {
	Patterns    []string      `arg:"" optional:"" name:"PATTERN" help:"Host patterns the block applies to, as on a Host line (web-* 10.5.*)."`
	Install     bool          `xor:"action" help:"Write the block to ~/.ssh/sshshare/config and Include it at the top of ~/.ssh/config (a backup first; the diff shown)."`
	Uninstall   bool          `xor:"action" help:"Remove what --install added: the Include line of ~/.ssh/config and ~/.ssh/sshshare/config."`
	NoMux       bool          `name:"no-mux" help:"Leave out the mux door's ControlPath and ControlMaster lines: every ssh goes through the ProxyCommand."`
	ControlPath string        `name:"control-path" default:"${control_path}" env:"SSHSHARE_CONTROL_PATH" help:"Socket path template the ProxyCommand is to use (written on its line when not the default)."`
	MuxPath     string        `name:"mux-path" env:"SSHSHARE_MUX_PATH" placeholder:"TEMPLATE" help:"Mux socket path template (the block's ControlPath); by default %r@%n-%p.mux in the control path template's directory; none leaves the door out."`
	Persist     time.Duration `default:"${persist}" env:"SSHSHARE_PERSIST" help:"Idle window the ProxyCommand is to give its masters (written on its line when not the default)."`
}

// Run prints the block, or installs or uninstalls it.
func (c ConfigCmd) Run(stdout io.Writer) error {
	if err := setup.ValidatePatterns(c.Patterns); err != nil {
		return hint.With(err, "quote each pattern for your shell: sshshare config --install 'web-*' '10.5.*'")
	}
	switch {
	case c.Uninstall && len(c.Patterns) > 0:
		return errors.New("config --uninstall takes no patterns: it removes the whole block")
	case c.Uninstall:
		return c.uninstall(stdout)
	case c.Install && len(c.Patterns) == 0:
		return hint.With(errors.New("config --install needs at least one host pattern"),
			"name the hosts to share: sshshare config --install 'HOST-PATTERN'")
	}
	home, err := configHome()
	if err != nil {
		return err
	}
	block, err := c.block(home)
	if err != nil {
		return err
	}
	if !c.Install {
		_, err := io.WriteString(stdout, block.Render())
		return err
	}
	return c.install(stdout, home, block)
}

// install writes the block and the Include line, and says what changed.
func (c ConfigCmd) install(stdout io.Writer, home configHomes, block setup.Block) error {
	ch, err := setup.Install(home.files(), block.Render())
	if err != nil {
		return err
	}
	if !ch.Changed() {
		_, err := fmt.Fprintf(stdout, "sshshare config: already installed for %s; nothing changed\n", strings.Join(c.Patterns, " "))
		return err
	}
	return reportChange(stdout, ch, "installed for "+strings.Join(c.Patterns, " "))
}

// uninstall removes the Include line and the block file.
func (c ConfigCmd) uninstall(stdout io.Writer) error {
	home, err := configHome()
	if err != nil {
		return err
	}
	ch, err := setup.Uninstall(home.files())
	if err != nil {
		return err
	}
	if !ch.Changed() {
		_, err := io.WriteString(stdout, "sshshare config: not installed; nothing changed\n")
		return err
	}
	return reportChange(stdout, ch, "uninstalled")
}

// reportChange prints the diffs, the backup and a closing line.
func reportChange(w io.Writer, ch setup.Change, done string) error {
	var b strings.Builder
	b.WriteString(ch.BlockDiff)
	b.WriteString(ch.ConfigDiff)
	if ch.Backup != "" {
		fmt.Fprintf(&b, "sshshare config: the previous file is in %s\n", ch.Backup)
	}
	fmt.Fprintf(&b, "sshshare config: %s\n", done)
	_, err := io.WriteString(w, b.String())
	return err
}

// block builds the Host block for these flags on this machine.
func (c ConfigCmd) block(home configHomes) (setup.Block, error) {
	exe, err := ownPath()
	if err != nil {
		return setup.Block{}, err
	}
	ours := home.ref(filepath.Join(control.StateDir(home.env), localhop.KnownHostsFile))
	return setup.Block{
		Patterns:        c.Patterns,
		Program:         exe,
		ProxyArgs:       c.proxyArgs(),
		MuxPath:         c.muxPath(),
		KnownHostsFiles: setup.KnownHostsFiles(systemKnownHostsFiles(), ours),
		SSHVersion:      sshVersion(),
		Windows:         runtime.GOOS == "windows",
	}, nil
}

// proxyArgs are the flags the ProxyCommand needs beyond --alias: those
// whose value here is not the default.
func (c ConfigCmd) proxyArgs() []string {
	var args []string
	if c.ControlPath != tokens.DefaultControlPath {
		args = append(args, "--control-path", c.ControlPath)
	}
	if c.MuxPath != "" {
		args = append(args, "--mux-path", c.MuxPath)
	}
	if c.Persist != share.DefaultPersist {
		args = append(args, "--persist", c.Persist.String())
	}
	return args
}

// muxPath is the block's ControlPath: the mux socket template a master
// started by this ProxyCommand serves, or "" for no door.
func (c ConfigCmd) muxPath() string {
	if c.NoMux || strings.EqualFold(c.MuxPath, "none") {
		return ""
	}
	return tokens.MuxTemplate(c.ControlPath, c.MuxPath)
}

// ownPath is this binary's absolute path with symlinks resolved: ssh runs
// the ProxyCommand through the shell, whose PATH may not find it.
func ownPath() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find own executable: %w", err)
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	return exe, nil
}

// configHomes are the two home directories that matter here: $HOME,
// under which sshshare keeps its files, and the password database's,
// which is what ssh's `~` means.
type configHomes struct {
	env, passwd string
}

// configHome finds both home directories.
func configHome() (configHomes, error) {
	env, err := os.UserHomeDir()
	if err != nil {
		return configHomes{}, fmt.Errorf("find home directory: %w", err)
	}
	h := configHomes{env: env}
	if u, err := user.Current(); err == nil {
		h.passwd = u.HomeDir
	}
	return h, nil
}

// ref names path as ssh is to read it: with ~ when it lies under a $HOME
// that ssh's ~ also names, else in full.
func (h configHomes) ref(path string) string {
	rel, err := filepath.Rel(h.env, path)
	if err != nil || h.passwd == "" || filepath.Clean(h.passwd) != filepath.Clean(h.env) || strings.HasPrefix(rel, "..") {
		return path
	}
	return "~/" + filepath.ToSlash(rel)
}

// files are the files install and uninstall change.
func (h configHomes) files() setup.Files {
	block := filepath.Join(control.StateDir(h.env), "config")
	return setup.Files{
		Config:     filepath.Join(h.env, ".ssh", "config"),
		Block:      block,
		IncludeRef: h.ref(block),
		Parses:     sshParses,
		Now:        time.Now,
	}
}
