package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/sshshare/sshshare/lock"
)

// PasswordUserPrefix starts the name of every account PasswordUser will
// touch, so that it can never change the password of a real account.
const PasswordUserPrefix = "sshshare-"

// passwordDir holds, readable by root only, the password PasswordUser set
// for each account, so that test processes running at the same time (go
// test runs packages in parallel) share it instead of each setting its own
// and breaking the others' logins.
var passwordDir = filepath.Join(os.TempDir(), "sshshare-test-accounts")

// PasswordUser makes sure the local account name exists (useradd -m, shell
// /bin/bash) and has a password, and returns it. The password is random,
// set with chpasswd by the first process that asks for it, and recorded
// (mode 0600, root only) for the processes that ask later, under a file
// lock. It needs root; callers check os.Geteuid first and skip otherwise.
// It refuses any name not starting with PasswordUserPrefix: it must never
// change the password of root or of any real user.
func PasswordUser(tb TB, name string) string {
	tb.Helper()
	if !strings.HasPrefix(name, PasswordUserPrefix) || strings.ContainsAny(name, "/:\n") {
		tb.Fatalf("PasswordUser(%q): only accounts named %s* may be changed", name, PasswordUserPrefix)
	}
	if os.Geteuid() != 0 {
		tb.Fatalf("PasswordUser(%q): needs root", name)
	}
	if err := os.MkdirAll(passwordDir, 0o700); err != nil {
		tb.Fatalf("PasswordUser: %v", err)
	}
	record := filepath.Join(passwordDir, name)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	release, err := lock.Acquire(ctx, record)
	if err != nil {
		tb.Fatalf("PasswordUser: %v", err)
	}
	defer release()
	if _, err := user.Lookup(name); err != nil {
		res := Run(tb, 30*time.Second, exec.Command("useradd", "-m", "-s", "/bin/bash", name))
		if res.Code != 0 {
			tb.Fatalf("useradd %s: %s", name, res)
		}
		os.Remove(record) // a record for an account that was since deleted
	}
	b, err := os.ReadFile(record)
	if err == nil && len(b) > 0 {
		return string(b)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		tb.Fatalf("PasswordUser: %v", err)
	}
	pw := randomPassword(tb)
	cmd := exec.Command("chpasswd")
	cmd.Stdin = bytes.NewBufferString(name + ":" + pw + "\n")
	if res := Run(tb, 30*time.Second, cmd); res.Code != 0 {
		tb.Fatalf("chpasswd for %s: %s", name, res)
	}
	if err := os.WriteFile(record, []byte(pw), 0o600); err != nil {
		tb.Fatalf("PasswordUser: record password: %v", err)
	}
	return pw
}

// randomPassword returns "P" and 24 random letters, digits, '-' and '_':
// never a leading '-' that a command line could take for a flag.
func randomPassword(tb TB) string {
	tb.Helper()
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		tb.Fatalf("random password: %v", err)
	}
	return "P" + base64.RawURLEncoding.EncodeToString(b)
}
