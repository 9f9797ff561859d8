package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/doctor"
	"github.com/sshshare/sshshare/share/sshtest"
)

func TestReadProxyLine(t *testing.T) {
	sshtest.SkipOnWindows(t, "the mux template is a Unix path; Windows has no mux door")
	t.Setenv("SSHSHARE_MUX_PATH", "")
	got, err := readProxyLine([]string{"--alias", "web", "--control-path", "/s/%r@%h-%p", "alice", "10.0.0.1", "22"}, "web", "", "/")
	if err != nil {
		t.Fatal(err)
	}
	if got.Alias != "web" || !strings.HasPrefix(got.Socket, "/s/alice@10.0.0.1-22+") || got.MuxTemplate != "/s/%r@%n-%p.mux" ||
		got.User != "alice" || got.Host != "10.0.0.1" || got.Port != "22" {
		t.Errorf("readProxyLine = %+v; want alias web, a keyed socket under /s, the mux template /s/%%r@%%h-%%p.mux", got)
	}
	plain, err := readProxyLine([]string{"--control-path", "/s/%r@%h-%p", "--mux-path", "none", "alice", "10.0.0.1", "22"}, "10.0.0.1", "", "/")
	if err != nil {
		t.Fatal(err)
	}
	if plain.Alias != "" || plain.Socket != "/s/alice@10.0.0.1-22" || plain.MuxTemplate != "none" {
		t.Errorf("readProxyLine without alias = %+v; want no alias, socket /s/alice@10.0.0.1-22, mux none", plain)
	}
	if _, err := readProxyLine([]string{"--no-such-flag", "alice", "10.0.0.1", "22"}, "web", "", "/"); err == nil {
		t.Error("readProxyLine with an unknown flag: no error")
	}
}

func TestPrintFindings(t *testing.T) {
	findings := []doctor.Finding{
		{ID: "a", Severity: doctor.OK, What: "fine"},
		{ID: "b", Severity: doctor.Warn, What: "odd", Fix: "tidy"},
		{ID: "c", Severity: doctor.Fix, What: "broken\x1b[2J", Fix: "mend"},
	}
	var out bytes.Buffer
	if err := printFindings(&out, findings, false); err != nil {
		t.Fatal(err)
	}
	want := "ok    fine\nwarn  odd\n      fix: tidy\nFIX   broken\\033[2J\n      fix: mend\n"
	if got := out.String(); got != want {
		t.Errorf("printFindings:\n%s\nwant:\n%s", got, want)
	}
	out.Reset()
	if err := printFindings(&out, findings[:2], false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "all clear: nothing needs a fix\n") {
		t.Errorf("printFindings without a fix: %q; want it to end all clear", out.String())
	}
	out.Reset()
	if err := printFindings(&out, findings, true); err != nil {
		t.Fatal(err)
	}
	var back []doctor.Finding
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || len(back) != 3 || back[2].Severity != "fix" || back[2].Fix != "mend" {
		t.Errorf("printFindings --json = %s (%v)", out.String(), err)
	}
	if countFixes(findings) != 1 || doctorFailed(1).ExitCode() != 1 {
		t.Error("one fix: want exit code 1")
	}
}
