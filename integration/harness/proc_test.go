package harness

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestRunCapturesOutputAndCode(t *testing.T) {
	res := Run(t, 10*time.Second, exec.Command("sh", "-c", "echo out; echo err >&2; exit 3"))
	if res.Code != 3 || string(res.Stdout) != "out\n" || string(res.Stderr) != "err\n" {
		t.Errorf("got %s; want exit 3, stdout \"out\\n\", stderr \"err\\n\"", res)
	}
}

func TestRunTimeoutFails(t *testing.T) {
	start := time.Now()
	msg := expectFatal(t, func(tb TB) {
		Run(tb, 200*time.Millisecond, exec.Command("sh", "-c", "sleep 60 & sleep 60"))
	})
	if !strings.Contains(msg, "timed out") {
		t.Errorf("Fatalf message %q; want it to say timed out", msg)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Run returned after %v; want soon after the 200ms timeout", elapsed)
	}
}

func TestStartKillsOnCleanup(t *testing.T) {
	var p *Proc
	t.Run("inner", func(t *testing.T) {
		p = Start(t, exec.Command("sleep", "60"))
	})
	select {
	case <-p.Done():
	default:
		t.Fatal("process still running after its test's cleanup")
	}
	if p.ExitCode() != -1 {
		t.Errorf("ExitCode() = %d; want -1 (killed by a signal)", p.ExitCode())
	}
}

func TestProcWait(t *testing.T) {
	p := Start(t, exec.Command("sh", "-c", "echo hi; exit 7"))
	if code := p.Wait(t, 10*time.Second); code != 7 {
		t.Errorf("Wait() = %d; want 7", code)
	}
	if got := p.Stdout(); got != "hi\n" {
		t.Errorf("Stdout() = %q; want %q", got, "hi\n")
	}
}
