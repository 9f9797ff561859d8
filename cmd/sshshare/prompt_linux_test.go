package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the test's side and the terminal a
// prompt is asked on.
func openPTY(t *testing.T) (ptm, tty *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	rc, err := ptm.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var ierr error
	rc.Control(func(fd uintptr) {
		if ierr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ierr == nil {
			n, ierr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
		}
	})
	if ierr != nil {
		t.Skipf("unlock pseudo-terminal: %v", ierr)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return ptm, tty
}

// TestTTYPromptEscapesServerText: a bastion's question in tunnel mode is
// shown escaped on the terminal, its name, instruction and prompt alike.
func TestTTYPromptEscapesServerText(t *testing.T) {
	ptm, tty := openPTY(t)
	type result struct {
		answers []string
		err     error
	}
	done := make(chan result, 1)
	go func() {
		a, err := ttyPrompt(tty, upstream.Question{Name: "name " + hostile, Instruction: "instruction " + hostile,
			Prompts: []string{"code " + hostile + ": "}, Echos: []bool{true}})
		done <- result{a, err}
	}()
	var shown strings.Builder
	buf := make([]byte, 4096)
	ptm.SetReadDeadline(time.Now().Add(5 * time.Second))
	for strings.Count(shown.String(), escaped) < 3 {
		n, err := ptm.Read(buf)
		shown.Write(buf[:n])
		if err != nil {
			t.Fatalf("read the terminal: %v; shown so far %q", err, shown.String())
		}
	}
	ptm.Write([]byte("123456\n"))
	select {
	case r := <-done:
		if r.err != nil || len(r.answers) != 1 || r.answers[0] != "123456" {
			t.Errorf("ttyPrompt: got %q, %v; want [123456]", r.answers, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ttyPrompt did not return")
	}
	if strings.ContainsAny(shown.String(), "\x1b\x07") {
		t.Errorf("terminal got raw control bytes: %q", shown.String())
	}
}
