//go:build unix

package share

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkOwner refuses a directory owned by someone other than the current
// user.
func checkOwner(dir string, info fs.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Getuid(); int(st.Uid) != uid {
		return withHint(fmt.Errorf("%s is owned by uid %d, not by you (uid %d)", dir, st.Uid, uid),
			fmt.Sprintf("remove it or chown it to yourself: chown $(id -u) %s", dir))
	}
	return nil
}
