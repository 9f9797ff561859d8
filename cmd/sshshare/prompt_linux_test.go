package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"

	"github.com/sshshare/sshshare/share/upstream"
)

// TestTTYPromptEscapesServerText: a bastion's question in tunnel mode is
// shown escaped on the terminal, its name, instruction and prompt alike.
func TestTTYPromptEscapesServerText(t *testing.T) {
	ptm, tty := sshtest.OpenPTY(t)
	type result struct {
		answers []string
		err     error
	}
	done := make(chan result, 1)
	go func() {
		a, err := ttyPrompt(terminal{in: tty, out: tty}, upstream.Question{Name: "name " + hostile, Instruction: "instruction " + hostile,
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
