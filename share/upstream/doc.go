// Package upstream logs in to the target the way the user's own ssh would:
// it reads the host's configuration from `ssh -G` (HostConfig), gathers the
// agent's keys, identity files and certificates, checks the host key
// against the user's known_hosts files under StrictHostKeyChecking, and
// asks the user (through a Prompter) for passwords, answers, passphrases
// and host key decisions. A Dialer makes one authenticated connection; the
// master decides when.
package upstream
