package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// sshProbeHost is the host name `ssh -G` is asked about when only the
// config's defaults matter; .invalid never resolves.
const sshProbeHost = "sshshare-config.invalid"

// sshProbeWait bounds each ssh run here: a Match exec in the config may
// run anything.
const sshProbeWait = 10 * time.Second

// sshVersion is the first line `ssh -V` prints ("OpenSSH_9.2p1 ..."), or
// "" when ssh cannot be run.
func sshVersion() string {
	out, err := runSSH("-V")
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	version, _, _ := strings.Cut(line, ",")
	return version
}

// defaultKnownHostsFiles are ssh's own GlobalKnownHostsFile default.
var defaultKnownHostsFiles = []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}

// systemKnownHostsFiles is the GlobalKnownHostsFile list of the system's
// ssh config (/etc/ssh/ssh_config) for any host, which the block's own
// line replaces for its hosts and so keeps: ssh's default when that
// cannot be read.
func systemKnownHostsFiles() []string {
	out, err := runSSH("-G", "-F", "/etc/ssh/ssh_config", sshProbeHost)
	if err != nil {
		return defaultKnownHostsFiles
	}
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 1 && fields[0] == "globalknownhostsfile" {
			return fields[1:]
		}
	}
	return defaultKnownHostsFiles
}

// sshParses asks ssh whether it can read the config file at path.
func sshParses(path string) error {
	_, err := runSSH("-G", "-F", path, sshProbeHost)
	var missing *exec.Error
	if errors.As(err, &missing) {
		return nil // no ssh to ask: the file's own check stands
	}
	return err
}

// runSSH runs ssh with args and returns what it printed (stderr for -V);
// a failure is ssh's first line of stderr.
func runSSH(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sshProbeWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			line, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
			if line = strings.TrimSpace(line); line == "" {
				return nil, fmt.Errorf("ssh %s: %w", strings.Join(args, " "), err)
			}
			return nil, errors.New(line)
		}
		return nil, fmt.Errorf("run ssh: %w", err)
	}
	if len(args) > 0 && args[0] == "-V" {
		return stderr.Bytes(), nil
	}
	return stdout.Bytes(), nil
}
