// Package lock provides the exclusive file lock that serialises master
// start-up for one socket path: when N invocations start cold at the same
// moment, each that finds no master takes the lock and looks again, so
// exactly one of them starts it and the others find it running.
//
// The lock file lives next to the socket (path + ".lock") and is trusted
// as much as the socket directory; callers must have checked that the
// directory is private before locking in it.
package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// ErrTimeout is matched by the error Acquire returns when ctx ends before
// the lock is free. That error also matches ctx.Err().
var ErrTimeout = errors.New("timed out")

// retryDelay is how often Acquire retries a held lock. The gofrs/flock
// call that blocks in the kernel cannot be cancelled, so waiting is polling.
const retryDelay = 10 * time.Millisecond

// Acquire takes an exclusive lock on path+".lock", waiting until ctx is
// done. The lock file is created with mode 0600 and is never deleted:
// removing it would let a waiter lock the old inode while a newcomer locks
// a new one. On success the holder's pid is written into the file (where
// the platform allows it) and release unlocks and closes it; calling
// release more than once is harmless.
//
// If ctx ends first, the error names the holder's pid and matches both
// ErrTimeout and ctx.Err().
func Acquire(ctx context.Context, path string) (release func() error, err error) {
	name := path + ".lock"
	f := flock.New(name, flock.SetPermissions(0o600))
	if _, err := f.TryLockContext(ctx, retryDelay); err != nil {
		if ctx.Err() != nil {
			return nil, &timeoutError{path: name, holder: holder(name), cause: ctx.Err()}
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if recordsPID {
		pid := strconv.Itoa(os.Getpid()) + "\n"
		if err := os.WriteFile(name, []byte(pid), 0o600); err != nil {
			return nil, errors.Join(fmt.Errorf("lock %s: record pid: %w", name, err), f.Unlock())
		}
	}
	return func() error {
		if err := f.Unlock(); err != nil {
			return fmt.Errorf("unlock %s: %w", name, err)
		}
		return nil
	}, nil
}

// holder describes who holds the lock file name, for error messages.
func holder(name string) string {
	if !recordsPID {
		return "another process"
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return "another process"
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		// The holder has locked but not yet written its pid.
		return "another process"
	}
	return "pid " + strconv.Itoa(pid)
}

// timeoutError reports giving up on a held lock. Its message stays one
// line for the user; the context's error is reachable through errors.Is.
type timeoutError struct {
	path   string
	holder string
	cause  error
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("lock %s: held by %s: %v", e.path, e.holder, ErrTimeout)
}

func (e *timeoutError) Unwrap() []error { return []error{ErrTimeout, e.cause} }

// Use is a shared lock on path+".lock", held by every process that uses
// what the lock guards for as long as it does; Replace is the exclusive
// side, for the one that changes it. They are flock locks: the kernel
// drops them when their holder dies, so a crash never leaves one behind.

// Use takes a shared lock on path+".lock", waiting until ctx is done for
// a Replace holder to finish. release unlocks it; calling it more than
// once is harmless.
func Use(ctx context.Context, path string) (release func() error, err error) {
	name := path + ".lock"
	f := flock.New(name, flock.SetPermissions(0o600))
	if _, err := f.TryRLockContext(ctx, retryDelay); err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return unlocker(f, name), nil
}

// Replace takes the exclusive lock on path+".lock" if nobody holds it,
// shared or exclusive; ok is false when somebody does.
func Replace(path string) (release func() error, ok bool, err error) {
	name := path + ".lock"
	f := flock.New(name, flock.SetPermissions(0o600))
	if ok, err = f.TryLock(); err != nil || !ok {
		return nil, false, err
	}
	return unlocker(f, name), true, nil
}

// unlocker is the release function of a lock on f.
func unlocker(f *flock.Flock, name string) func() error {
	return func() error {
		if err := f.Unlock(); err != nil {
			return fmt.Errorf("unlock %s: %w", name, err)
		}
		return nil
	}
}
