// Package doctor checks a user's set-up of sshshare and explains what is
// wrong, each finding with its fix: the OpenSSH version, whether a host's
// ssh config reaches sshshare and lets ssh trust the master (ssh -G), ssh's
// own connection sharing stacked in front of sshshare (ControlMaster from
// `Host *`, Ansible's ssh_args), the state and socket directories, stale
// sockets, masters of another protocol version, the agent and identity
// files a master would log in with, and a trial connection with its
// timing.
//
// It never changes anything: it runs `ssh -V`, `ssh -G` and, for the
// trial only, `ssh HOST true`, reads files and asks masters for their
// status. It prints nothing; `sshshare doctor` (cmd/sshshare/doctor.go)
// shows the findings. docs/doctor.md lists every check.
package doctor
