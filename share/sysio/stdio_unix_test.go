//go:build unix

package sysio

import (
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
)

func TestRecvStdioRejectsWrongMessage(t *testing.T) {
	a, b := sshtest.UnixPair(t)
	a.Write([]byte("xy"))
	if sc, err := RecvStdio(b); err == nil {
		sc.Close()
		t.Fatal("accepted a message without fds")
	}
}
