package share

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/sshshare/sshshare/share/sysio"
	"github.com/sshshare/sshshare/tokens"
)

// publishedListener is a Unix socket listener (on Windows, a named pipe's
// and its marker file, see sysio.Listen) published atomically at its
// path: it listens on a temporary name and is renamed into place, so a
// client never sees a socket that does not accept yet.
type publishedListener struct {
	net.Listener
	path      string
	info      os.FileInfo // the socket file as published, to recognise it
	closeOnce sync.Once
}

// publish listens on path in its private directory, mode 0600, with
// listen (sysio.Listen, or sysio.ListenRaw for the mux door).
func publish(path string, listen func(string) (net.Listener, error)) (*publishedListener, error) {
	if err := sysio.EnsurePrivateDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	tmp := tokens.PublishPath(path)
	ln, err := listen(tmp)
	if err != nil {
		return nil, err
	}
	if err := publishFile(tmp, path); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	info, err := os.Stat(path)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	return &publishedListener{Listener: ln, path: path, info: info}, nil
}

// publishFile sets the socket's mode and renames it into place.
func publishFile(tmp, path string) error {
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("publish socket %s: %w", path, err)
	}
	return nil
}

// Close stops listening and removes the socket file, unless another master
// has replaced it meanwhile.
func (l *publishedListener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		err = l.Listener.Close()
		if info, serr := os.Stat(l.path); serr == nil && os.SameFile(info, l.info) {
			os.Remove(l.path)
		}
	})
	return err
}

// removeMoved removes path if it is this listener's socket moved there,
// as control.Retire moves the socket of a master of another version.
func (l *publishedListener) removeMoved(path string) {
	if path == l.path {
		return
	}
	if info, err := os.Lstat(path); err == nil && os.SameFile(info, l.info) {
		os.Remove(path)
	}
}
