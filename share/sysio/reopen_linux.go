package sysio

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// reopen opens the pipe fd again through /proc/self/fd, non-blocking and
// close-on-exec, in mode (O_RDONLY or O_WRONLY): the same pipe under an
// open file description of this process's own (see adopt).
func reopen(fd, mode int) (int, error) {
	return rawOpen("/proc/self/fd/"+strconv.Itoa(fd), mode|unix.O_NONBLOCK)
}
