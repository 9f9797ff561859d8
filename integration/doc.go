// Package integration holds sshshare's end-to-end tests: they drive a real
// OpenSSH sshd and the real ssh, scp, sftp, rsync and git clients, through
// the helpers in package harness. The tests need sshd installed and fail,
// rather than skip, without it.
package integration
