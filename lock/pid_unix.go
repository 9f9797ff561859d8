//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package lock

// recordsPID is true where gofrs/flock uses flock(2): those locks are
// advisory and belong to one open file description, so the holder can
// write its pid through a second descriptor and waiters can read it.
const recordsPID = true
