package localhop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sshshare/sshshare/lock"
	"github.com/sshshare/sshshare/share/sysio"
)

// The local host keys are a standing credential: a copy of them (from a
// backup, a synced dotfiles repository, an old laptop) lets a server pass
// for any host whose Host block trusts KnownHostsFile, on a connection
// that does not go through sshshare (`ssh -J`, `-o ProxyCommand=none`, a
// tool with its own ProxyCommand). So they are replaced once they are
// older than KeyLifetime, by the first master that starts while no other
// master runs: no master is then showing the old keys, and no ssh is
// about to check them.
//
// Every master of a build that replaces keys holds keysLock shared for its
// life; the one that replaces them must take it alone. Builds before that
// hold no such lock, but every build registers its masters, so the
// registry (othersRunning) covers them.

// KeyLifetime is how long the local host keys are used before a master
// that starts with no other master running replaces them.
const KeyLifetime = 24 * time.Hour

// keysLock names the lock (keysLock+".lock" in the state directory) that
// guards the local host keys against being replaced while in use.
const keysLock = "hostkeys"

// MasterKeys returns the local host keys for a master that is starting,
// replacing them first when they are older than KeyLifetime, no master of
// this build holds keysLock and othersRunning reports no other master.
// The master holds keysLock shared until it calls release, so the keys it
// shows stay in KnownHostsFile for as long as it runs.
func MasterKeys(ctx context.Context, dir string, othersRunning func() bool) (keys Keys, release func() error, err error) {
	if err := sysio.EnsureOwnDir(dir); err != nil {
		return keys, nil, err
	}
	path := filepath.Join(dir, keysLock)
	if done, ok, err := lock.Replace(path); err != nil {
		return keys, nil, err
	} else if ok {
		err := replaceOld(dir, othersRunning)
		if err = errors.Join(err, done()); err != nil {
			return keys, nil, err
		}
	}
	if release, err = lock.Use(ctx, path); err != nil {
		return keys, nil, err
	}
	if keys, err = HostKeys(dir); err != nil {
		return keys, nil, errors.Join(err, release())
	}
	return keys, release, nil
}

// replaceOld replaces the local host keys, all types, when they are older
// than KeyLifetime and no other master runs. KnownHostsFile then lists
// the new keys only.
func replaceOld(dir string, othersRunning func() bool) error {
	info, err := os.Stat(filepath.Join(dir, hostKeyFileECDSA))
	if errors.Is(err, fs.ErrNotExist) || err == nil && time.Since(info.ModTime()) < KeyLifetime {
		return nil
	}
	if err != nil {
		return fmt.Errorf("local host key: %w", err)
	}
	if othersRunning() {
		return nil
	}
	known := filepath.Join(dir, KnownHostsFile)
	return withKnownHostsLock(known, func() error {
		for _, name := range keyFiles() {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("replace local host key: %w", err)
			}
		}
		keys, err := loadKeys(dir)
		if err != nil {
			return err
		}
		return installFile(known, []byte(keys.knownHostsLines("*")), os.Rename)
	})
}

// keyFiles are the names of every local host key file.
func keyFiles() []string {
	names := []string{hostKeyFileECDSA, hostKeyFile}
	for _, kind := range extraKinds {
		names = append(names, kind.file)
	}
	return names
}
