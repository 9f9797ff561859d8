//go:build unix

package localhop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/sysio"
)

// TestEnsurePrivateDirOtherOwner needs root to give a directory away.
func TestEnsurePrivateDirOtherOwner(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to chown a directory to another user")
	}
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	err := sysio.EnsurePrivateDir(dir)
	if err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Fatalf("got %v; want an owned-by-another-user error", err)
	}
	if got := hint.Of(err); !strings.Contains(got, "chown") || !strings.Contains(got, dir) {
		t.Errorf("hint: got %q; want a chown of %s", got, dir)
	}
}
