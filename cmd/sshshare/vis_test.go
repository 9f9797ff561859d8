package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/sshtest"
	"github.com/sshshare/sshshare/share/upstream"
)

// hostile is what a bastion put in a refusal in the security review (issue
// 17 item 10): a title change, then a carriage return and an erased line
// with a fake message.
const hostile = "no route\x1b]0;TITLE-SET-BY-SERVER\x07\r\x1b[2Kfake: all good, type your password again:"

// escaped is hostile as it must reach the terminal.
const escaped = `no route\033]0;TITLE-SET-BY-SERVER\007\015\033[2Kfake: all good, type your password again:`

// mustBeEscaped fails unless out holds the escaped text and no escape,
// carriage return or bell.
func mustBeEscaped(t *testing.T, what, out string) {
	t.Helper()
	if strings.ContainsAny(out, "\x1b\r\x07") {
		t.Errorf("%s holds raw control bytes: %q", what, out)
	}
	if !strings.Contains(out, escaped) {
		t.Errorf("%s: got %q; want it to hold %q", what, out, escaped)
	}
}

// TestReportEscapesServerText: an error carrying a server's text (a tunnel
// refusal, a login failure) and its hint are printed escaped.
func TestReportEscapesServerText(t *testing.T) {
	var b strings.Builder
	err := hint.With(errors.New("bastion refused db:5432: connect failed ("+hostile+")"), "ask "+hostile)
	if code := report(&b, err); code != exitFailure {
		t.Errorf("exit code: got %d; want %d", code, exitFailure)
	}
	mustBeEscaped(t, "report", b.String())
	if lines := strings.Count(b.String(), "\n"); lines != 2 {
		t.Errorf("report printed %d lines; want 2 (error and hint):\n%s", lines, b.String())
	}
}

// TestStatusTableEscapesServerText: a master's "last problem" (and its
// other fields) are printed escaped.
func TestStatusTableEscapesServerText(t *testing.T) {
	var b strings.Builder
	s := &control.Status{Target: "root@10.0.0.5:22", Mode: "share", LastError: "12:00:00 upstream closed: " + hostile,
		Identity: hostile, SSHOptions: []string{"-o" + hostile}}
	if err := printStatusTable(&b, []*control.Status{s}); err != nil {
		t.Fatal(err)
	}
	mustBeEscaped(t, "status table", b.String())
	if s.LastError != "12:00:00 upstream closed: "+hostile {
		t.Error("printStatusTable changed the status it was given")
	}
}

// TestAskpassPromptEscapesServerText: a bastion's question reaches
// SSH_ASKPASS escaped.
func TestAskpassPromptEscapesServerText(t *testing.T) {
	sshtest.SkipOnWindows(t, "the askpass here is a /bin/sh script")
	dir := t.TempDir()
	got := filepath.Join(dir, "argv")
	askpass := filepath.Join(dir, "askpass")
	if err := os.WriteFile(askpass, []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+got+"\necho answer\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSH_ASKPASS", askpass)
	answers, err := askpassPrompt(upstream.Question{Instruction: hostile, Prompts: []string{"Password: "}})
	if err != nil || len(answers) != 1 || answers[0] != "answer" {
		t.Fatalf("askpassPrompt: got %q, %v; want [answer]", answers, err)
	}
	text, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	mustBeEscaped(t, "askpass text", string(text))
}
