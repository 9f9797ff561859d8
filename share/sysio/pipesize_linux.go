//go:build linux

package sysio

import "golang.org/x/sys/unix"

// pipeSize is what widenPipe asks for: 1 MiB, the default limit for
// unprivileged users (/proc/sys/fs/pipe-max-size).
const pipeSize = 1 << 20

// widenPipe enlarges the pipe fd from the default 64 KiB, so a bulk
// transfer moves several 32 KiB packets per wake-up. Not a pipe, or over
// the limit: left as it is.
func widenPipe(fd int) { unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, pipeSize) }
