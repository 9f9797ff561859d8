package doctor

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Version is an OpenSSH release, as `ssh -V` names it (OpenSSH_9.2p1).
type Version struct {
	Major, Minor int
}

// AtLeast reports whether v is release major.minor or later.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

// String is the release as "9.2".
func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// versionRE finds the release in ssh -V's line.
var versionRE = regexp.MustCompile(`OpenSSH_(?:for_Windows_)?(\d+)\.(\d+)`)

// ParseVersion reads the OpenSSH release from what `ssh -V` prints, e.g.
// "OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15 3 Sep 2024".
func ParseVersion(line string) (Version, error) {
	m := versionRE.FindStringSubmatch(line)
	if m == nil {
		return Version{}, fmt.Errorf("not an OpenSSH version: %q", strings.TrimSpace(line))
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	return Version{Major: major, Minor: minor}, nil
}

// sshVersion runs `ssh -V`, which prints on stderr.
func sshVersion(ctx context.Context, ssh string) (string, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, ssh, "-V")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s -V: %w", ssh, err)
	}
	return strings.TrimSpace(out.String()), nil
}

// The OpenSSH releases that matter to sshshare (docs/doors.md,
// docs/setup.md).
var (
	// knownHostsCommandSince is the first release with KnownHostsCommand.
	knownHostsCommandSince = Version{8, 5}
	// boundedHelloSince is the first release whose mux client gives up on
	// a master that never says hello after ConnectTimeout, and falls back
	// to the ProxyCommand (openssh commit e535fbe2a).
	boundedHelloSince = Version{9, 4}
)

// CheckOpenSSH reports the OpenSSH release of line (ssh -V's output, or
// err running it) and what it supports.
func CheckOpenSSH(line string, err error) []Finding {
	if err != nil {
		return []Finding{broken("openssh.version", "cannot run ssh: "+err.Error(),
			"install OpenSSH's client (Debian: apt install openssh-client) or put ssh on PATH")}
	}
	v, err := ParseVersion(line)
	if err != nil {
		return []Finding{warn("openssh.version", "ssh is not OpenSSH ("+line+"): sshshare is tested with OpenSSH's ssh only",
			"use OpenSSH's ssh")}
	}
	out := []Finding{ok("openssh.version", "OpenSSH "+v.String()+" ("+line+")")}
	if !v.AtLeast(knownHostsCommandSince.Major, knownHostsCommandSince.Minor) {
		out = append(out, ok("openssh.knownhostscommand", "OpenSSH "+v.String()+" has no KnownHostsCommand (8.5 and later): use the GlobalKnownHostsFile line (docs/setup.md)"))
	}
	if v.AtLeast(boundedHelloSince.Major, boundedHelloSince.Minor) {
		out = append(out, ok("openssh.mux", "the mux door: ssh "+v.String()+" bounds a master's hello by ConnectTimeout and falls back to the ProxyCommand"))
	} else {
		out = append(out, ok("openssh.mux", "the mux door: ssh "+v.String()+" waits for a master's hello without a time limit (9.4 and later bound it); sshshare's master always answers at once (docs/doors.md)"))
	}
	return out
}
