package share

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
)

func TestLogFileRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.log")
	l, err := OpenLogFile(path, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	line := strings.Repeat("x", 39) + "\n"
	for range 6 {
		if _, err := l.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{path, path + ".old"} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatalf("stat %s: %v", p, err)
		}
		if info.Size() > 100 {
			t.Errorf("%s is %d bytes; want <= 100", p, info.Size())
		}
		sshtest.WantMode(t, p, 0o600)
	}
}
