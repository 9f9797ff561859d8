// Package share is everything SSH in sshshare: the invocation that stock
// ssh runs as its ProxyCommand, the detached master that holds one
// authenticated upstream connection, and the bridge between them.
//
//	ssh ──stdio──▶ invocation ──Unix socket──▶ master ══SSH══▶ sshd
//
// In share mode the master terminates the local ssh's SSH session with a
// per-user local host key (see HostKey) and bridges every channel the client
// opens onto its upstream connection, so the upstream login happens once.
//
// Security: the master's socket lives in a 0700 directory owned by the user,
// is itself 0600, and every accepted connection's peer uid is checked; a
// local client is not asked to authenticate because only the owner (or root)
// can reach it.
//
// The package never prints and never exits: it takes readers, writers and a
// *slog.Logger and returns errors; cmd/sshshare decides what the user sees.
package share
