//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd)

package lock

// recordsPID is false elsewhere. On Windows, LockFileEx locks are
// mandatory: no other handle, not even the holder's own, may read or write
// the locked byte. On AIX and Solaris, gofrs/flock uses fcntl locks, which
// belong to the process, and closing any descriptor of the file (such as
// the one that wrote the pid) would drop the lock.
const recordsPID = false
