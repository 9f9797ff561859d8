package sysio

import "golang.org/x/sys/unix"

// fionread is FIONREAD, which Linux also names SIOCINQ and TIOCINQ: it
// answers for sockets and pipes alike.
const fionread = unix.SIOCINQ
