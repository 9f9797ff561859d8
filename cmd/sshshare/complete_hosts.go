package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/sshshare/sshshare/share/upstream"
)

// CompleteHostsCmd prints the host names the completion scripts offer:
// the Host names of the user's ssh config and the targets and aliases of
// running masters, one a line. It runs at every completion, so it reads
// the config itself rather than running ssh -G.
type CompleteHostsCmd struct{}

// hostName matches the names offered. bash's compgen -W expands its word
// list as the shell would ($(...) included), so a name from a config file
// or a master must hold no character the shell treats specially.
var hostName = regexp.MustCompile(`^[A-Za-z0-9._:-]+$`)

// maxIncludeDepth bounds Include nesting, as ssh does (readconf.c).
const maxIncludeDepth = 16

// Run prints the hosts. Unreadable files and masters that do not answer
// are skipped: a completion has nowhere to report them.
func (CompleteHostsCmd) Run(stdout io.Writer) error {
	home, err := os.UserHomeDir()
	if err != nil {
		return fmt.Errorf("find home directory: %w", err)
	}
	hosts := configHosts(filepath.Join(home, ".ssh", "config"), home)
	if dir, err := stateDir(); err == nil {
		hosts = append(hosts, masterHosts(dir)...)
	}
	hosts = slices.DeleteFunc(hosts, func(h string) bool { return !hostName.MatchString(h) })
	slices.Sort(hosts)
	for _, h := range slices.Compact(hosts) {
		if _, err := fmt.Fprintln(stdout, h); err != nil {
			return err
		}
	}
	return nil
}

// masterHosts are the hosts and aliases of the running masters.
func masterHosts(stateDir string) []string {
	var hosts []string
	for _, s := range queryAll(stateDir, io.Discard) {
		if t, err := upstream.ParseTarget(s.Target); err == nil && t.Host != "" {
			hosts = append(hosts, t.Host)
		}
		if s.Alias != "" {
			hosts = append(hosts, s.Alias)
		}
	}
	return hosts
}

// configHosts are the names of the Host lines of the ssh config file at
// path and the files it includes, without patterns (*, ?) and negations.
// Relative Include paths are taken from ~/.ssh, as ssh takes them for the
// user's config.
func configHosts(path, home string) []string {
	r := hostReader{home: home}
	r.read(path, 0)
	return r.hosts
}

// hostReader collects Host names across a config and its includes.
type hostReader struct {
	home  string
	hosts []string
}

// read reads one config file, following its Include lines.
func (r *hostReader) read(path string, depth int) {
	if depth > maxIncludeDepth {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		keyword, args := configLine(scanner.Text())
		switch strings.ToLower(keyword) {
		case "host":
			r.hosts = append(r.hosts, slices.DeleteFunc(args, isHostPattern)...)
		case "include":
			for _, pattern := range args {
				r.include(pattern, depth)
			}
		}
	}
}

// include reads the files an Include argument names.
func (r *hostReader) include(pattern string, depth int) {
	if rest, ok := strings.CutPrefix(pattern, "~/"); ok {
		pattern = filepath.Join(r.home, rest)
	} else if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(r.home, ".ssh", pattern)
	}
	matches, _ := filepath.Glob(pattern)
	for _, m := range matches {
		r.read(m, depth+1)
	}
}

// configLine splits an ssh config line into its keyword and arguments,
// as ssh does: "Keyword arg", "Keyword=arg", double-quoted arguments, and
// # comments.
func configLine(line string) (string, []string) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", nil
	}
	end := strings.IndexAny(line, " \t=")
	if end < 0 {
		return line, nil
	}
	keyword, rest := line[:end], strings.TrimLeft(line[end:], " \t")
	rest = strings.TrimLeft(strings.TrimPrefix(rest, "="), " \t")
	return keyword, configArgs(rest)
}

// configArgs splits arguments at blanks, keeping double-quoted ones whole
// and stopping at a comment.
func configArgs(s string) []string {
	var args []string
	for s = strings.TrimLeft(s, " \t"); s != "" && s[0] != '#'; s = strings.TrimLeft(s, " \t") {
		if s[0] == '"' {
			arg, rest, _ := strings.Cut(s[1:], `"`)
			args, s = append(args, arg), rest
			continue
		}
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		args, s = append(args, s[:end]), s[end:]
	}
	return args
}

// isHostPattern reports whether a Host argument is a pattern or a
// negation rather than a name one would type.
func isHostPattern(arg string) bool {
	return arg == "" || strings.ContainsAny(arg, "*?!,")
}
