// Package share is the sshshare master: the detached process that holds
// one logged-in upstream SSH connection to a host and serves local clients
// on a Unix socket until it has been idle for its persist window, is
// stopped, or loses its upstream and cannot heal it.
//
//	ssh ──stdio──▶ invocation ──Unix socket──▶ master ══SSH══▶ sshd
//	               share/invoke  share/control  share       share/upstream
//
// In share mode the master terminates the local ssh's SSH session (a
// "local hop", with the per-user local host keys of share/localhop) and
// bridges every channel the client opens onto its upstream connections,
// so the upstream login happens once. In tunnel mode it splices a
// connection to a direct-tcpip channel, and ssh speaks SSH end to end.
// Every master answers both; its mode only labels it and decides whether
// the local-trust check runs at start-up.
//
// Security: the master's socket lives in a private directory (created
// 0700; owned by the user, not writable by group or others, not a
// symlink), is itself 0600, and every accepted connection's peer uid must
// be the owner's or root's. A local client is
// not asked for credentials: its login waits for the upstream login, or
// answers that login's questions.
//
// The package never prints and never exits: it takes a *slog.Logger and
// returns errors, and cmd/sshshare decides what the user sees. It never
// imports share/invoke; a master chained through other masters (--via)
// gets their dial as MasterConfig.Dial.
//
// docs/architecture.md maps the packages, the files on disk, the control
// protocol and the request flows, and says where to make common changes.
package share
