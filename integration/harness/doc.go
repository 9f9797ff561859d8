// Package harness runs real OpenSSH for sshshare's integration tests,
// benchmarks and demo: an sshd per test on 127.0.0.1 with a rendered
// sshd_config and temporary host keys, clients with a temporary HOME and
// ssh config, a TCP relay that adds latency and can black-hole open
// connections, and the sshshare binary built once per process. For logins
// that ask questions it has an SSH_ASKPASS program that counts its calls
// (NewAskpass), a private tmux server for a real terminal (StartTmux), a
// password account for PAM (PasswordUser, root only) and, for what sshd
// cannot script unprivileged, an in-process keyboard-interactive server
// (StartKbdServer). For what only OpenSSH's own client can do, it has a
// Kerberos realm whose KDC runs on loopback (StartKDC, with KDC.ServeSSHD
// and KDC.LoginClient) and a SoftHSM2 PKCS#11 token (NewToken), both
// private to the test and unprivileged.
//
// Functions take a TB rather than *testing.T so that a plain program can
// use them through Runner. Every process the harness starts is killed and
// reaped in a cleanup; nothing outlives the TB that started it.
//
// The harness is for tests: it binds only to 127.0.0.1, but the sshd it
// starts lets the current user log in with a throwaway key, and the
// clients it configures trust exactly that sshd's host key.
package harness
