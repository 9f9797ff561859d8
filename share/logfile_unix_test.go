//go:build unix

package share

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// captureChildEnv names the log file TestLogFileCaptureStderr's child
// writes to.
const captureChildEnv = "SSHSHARE_TEST_CAPTURE_LOG"

// TestLogFileCaptureStderr: what the process writes on its standard
// error lands in the log, and still in the current log after a rotation.
// It runs in a child, whose stderr it takes over.
func TestLogFileCaptureStderr(t *testing.T) {
	if path := os.Getenv(captureChildEnv); path != "" {
		captureChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "m.log")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLogFileCaptureStderr$")
	cmd.Env = append(os.Environ(), captureChildEnv+"="+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for file, want := range map[string]string{path + ".old": "stderr before rotation", path: "stderr after rotation"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s is %q; want %q in it", file, b, want)
		}
	}
}

// captureChild makes the log at path its stderr, writes there, rotates
// the log, and writes again.
func captureChild(path string) {
	l, err := OpenLogFile(path, 200)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	if err := l.CaptureStderr(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "stderr before rotation")
	l.Write([]byte(strings.Repeat("x", 149) + "\n"))
	l.Write([]byte(strings.Repeat("y", 99) + "\n")) // past the cap: rotates first
	fmt.Fprintln(os.Stderr, "stderr after rotation")
	l.Close()
}
