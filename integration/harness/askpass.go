package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// AskpassAnswer is one rule of an Askpass program: it prints Answer for a
// prompt that contains Match.
type AskpassAnswer struct {
	Match, Answer string
}

// Askpass is an SSH_ASKPASS program for tests. It answers each prompt by
// the first rule whose Match the prompt contains, fails (as a cancelled
// dialog does) on a prompt no rule matches, and records every prompt it
// is called with, so a test can count how often ssh asked.
type Askpass struct {
	Path string // the program, for SSH_ASKPASS
	log  string // prompts, each followed by a NUL byte
}

// NewAskpass writes an askpass program that answers with rules.
func NewAskpass(tb TB, rules ...AskpassAnswer) *Askpass {
	tb.Helper()
	dir := tb.TempDir()
	a := &Askpass{Path: filepath.Join(dir, "askpass"), log: filepath.Join(dir, "prompts")}
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/sh\nprintf '%%s\\0' \"$1\" >> %s\ncase \"$1\" in\n", shellQuote(a.log))
	for _, r := range rules {
		fmt.Fprintf(&b, "*%s*) printf '%%s\\n' %s ;;\n", shellQuote(r.Match), shellQuote(r.Answer))
	}
	b.WriteString("*) exit 1 ;;\nesac\n")
	if err := os.WriteFile(a.Path, []byte(b.String()), 0o700); err != nil {
		tb.Fatalf("write askpass: %v", err)
	}
	return a
}

// Env is the environment that makes ssh use this program even with a
// terminal or without DISPLAY: SSH_ASKPASS and SSH_ASKPASS_REQUIRE=force.
func (a *Askpass) Env() []string {
	return []string{"SSH_ASKPASS=" + a.Path, "SSH_ASKPASS_REQUIRE=force"}
}

// Prompts returns the prompts the program was called with, in order.
func (a *Askpass) Prompts() []string {
	b, err := os.ReadFile(a.log)
	if err != nil {
		return nil
	}
	prompts := strings.Split(string(b), "\x00")
	return prompts[:len(prompts)-1] // the text after the last NUL is empty
}

// Calls returns how many times the program was called.
func (a *Askpass) Calls() int { return len(a.Prompts()) }

// shellQuote quotes s for a POSIX shell, as one word taken literally.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
