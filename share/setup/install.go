package setup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/sysio"
)

// Files are the files install and uninstall change.
type Files struct {
	// Config is the user's ssh config, ~/.ssh/config.
	Config string
	// Block is sshshare's own config file, in its private state directory.
	Block string
	// IncludeRef is Block as the Include line names it: with ~ when that
	// is what ssh expands it to, else in full.
	IncludeRef string
	// Parses is the last word on whether a config file can be edited:
	// `ssh -G -F FILE` on it. Nil skips that check.
	Parses func(path string) error
	// Now stamps the backup's name.
	Now func() time.Time
}

// Change is what Install or Uninstall did, for the user to see.
type Change struct {
	// ConfigDiff and BlockDiff are the changes to Config and Block as
	// unified diffs, "" for none.
	ConfigDiff, BlockDiff string
	// Backup is the copy of Config made before changing it, or "".
	Backup string
	// BlockRemoved says Uninstall removed Block; ConfigRemoved that it
	// removed Config, which Install had created.
	BlockRemoved, ConfigRemoved bool
}

// Changed reports whether anything changed.
func (c Change) Changed() bool {
	return c.ConfigDiff != "" || c.BlockDiff != "" || c.BlockRemoved || c.ConfigRemoved
}

// Install writes block to f.Block (0600, in a private directory) and puts
// the Include line for it at the top of f.Config (see AddInclude),
// creating f.Config (0600) when it is missing. Before changing f.Config it
// checks that the file can be read (CheckParsable, then f.Parses) and
// copies it to a backup beside it. Running it again with the same block
// changes nothing.
func Install(f Files, block string) (Change, error) {
	var ch Change
	old, err := readConfig(f)
	if err != nil {
		return ch, err
	}
	if err := sysio.EnsurePrivateDir(filepath.Dir(f.Block)); err != nil {
		return ch, err
	}
	oldBlock, err := readOptional(f.Block)
	if err != nil {
		return ch, err
	}
	if ch.BlockDiff = Diff(f.Block, oldBlock, []byte(block)); ch.BlockDiff != "" {
		if err := writeFile(f.Block, []byte(block)); err != nil {
			return ch, err
		}
	}
	return changeConfig(f, ch, old, AddInclude(old, f.IncludeRef, !exists(f.Config)))
}

// Uninstall removes what Install added: the marked Include line of
// f.Config, giving back its bytes from before Install, and f.Block.
func Uninstall(f Files) (Change, error) {
	var ch Change
	old, err := readConfig(f)
	if err != nil {
		return ch, err
	}
	removed := RemoveInclude(old)
	if Created(old) && len(removed) == 0 {
		return removeCreated(f, ch, old)
	}
	ch, err = changeConfig(f, ch, old, removed)
	if err != nil {
		return ch, err
	}
	return removeBlock(f, ch)
}

// removeCreated removes f.Config, which Install created and which holds
// nothing but its lines, and then f.Block.
func removeCreated(f Files, ch Change, old []byte) (Change, error) {
	ch.ConfigDiff = Diff(f.Config, old, nil)
	if err := os.Remove(f.Config); err != nil {
		return ch, fmt.Errorf("remove %s: %w", f.Config, err)
	}
	ch.ConfigRemoved = true
	return removeBlock(f, ch)
}

// removeBlock removes f.Block, when it is there.
func removeBlock(f Files, ch Change) (Change, error) {
	switch err := os.Remove(f.Block); {
	case err == nil:
		ch.BlockRemoved = true
	case !errors.Is(err, fs.ErrNotExist):
		return ch, fmt.Errorf("remove %s: %w", f.Block, err)
	}
	return ch, nil
}

// changeConfig writes new to f.Config when it differs from old, after a
// backup of old, and records both in ch.
func changeConfig(f Files, ch Change, old, new []byte) (Change, error) {
	if ch.ConfigDiff = Diff(f.Config, old, new); ch.ConfigDiff == "" {
		return ch, nil
	}
	if _, err := os.Lstat(f.Config); err == nil {
		ch.Backup = fmt.Sprintf("%s.sshshare-backup-%s", f.Config, f.Now().UTC().Format("20060102T150405.000000000Z"))
		if err := writeNew(ch.Backup, old); err != nil {
			return ch, err
		}
	}
	path, err := realPath(f.Config)
	if err != nil {
		return ch, err
	}
	return ch, writeFile(path, new)
}

// readConfig reads f.Config ("" when missing) and refuses one sshshare
// cannot edit safely.
func readConfig(f Files) ([]byte, error) {
	content, err := readOptional(f.Config)
	if err != nil {
		return nil, err
	}
	fix := fmt.Sprintf("fix %s by hand (ssh -G -F %s HOST shows what ssh makes of it), then run this again; nothing was changed", f.Config, f.Config)
	if err := CheckParsable(content); err != nil {
		return nil, hint.With(fmt.Errorf("cannot edit %s: %w", f.Config, err), fix)
	}
	if f.Parses != nil && len(content) > 0 {
		if err := f.Parses(f.Config); err != nil {
			return nil, hint.With(fmt.Errorf("cannot edit %s: ssh cannot read it: %w", f.Config, err), fix)
		}
	}
	return content, nil
}

// exists reports whether path names a file (or a link).
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// readOptional reads path; a missing file reads as empty.
func readOptional(path string) ([]byte, error) {
	content, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return content, nil
}

// realPath is the file a symlinked config names (a dotfile manager's
// link stays a link), or path itself.
func realPath(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil
	}
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", path, err)
	}
	return real, nil
}

// writeFile replaces path with content atomically (a temporary file
// renamed over it), keeping an existing file's mode, else 0600.
func writeFile(path string, content []byte) error {
	mode := fs.FileMode(0o600)
	if info, err := os.Stat(path); err == nil {
		mode = info.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".sshshare-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(content)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeNew writes content to a new file at path, mode 0600.
func writeNew(path string, content []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("back up: %w", err)
	}
	_, err = f.Write(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("back up to %s: %w", path, err)
	}
	return nil
}
