package upstream

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
)

// sshG is an ssh -G output with the lines every host has, plus extra.
func sshG(extra ...string) []byte {
	lines := append([]string{"hostname h.example", "port 22", "user alice", "compression no",
		"gssapiauthentication yes", "gssapidelegatecredentials no", "hostbasedauthentication no", "rekeylimit 0 0"}, extra...)
	return []byte(strings.Join(lines, "\n") + "\n")
}

// TestChooseEngine: auto keeps Go for a plain config (Debian's
// GSSAPIAuthentication yes included) and takes OpenSSH for what the Go
// engine cannot honour; the engine asked for by name wins.
func TestChooseEngine(t *testing.T) {
	for _, tc := range []struct {
		name  string
		asked string
		extra []string
		want  string
	}{
		{"plain auto", "", nil, EngineGo},
		{"plain openssh", EngineOpenSSH, nil, EngineOpenSSH},
		{"compression auto", EngineAuto, []string{"compression yes"}, EngineOpenSSH},
		{"compression go", EngineGo, []string{"compression yes"}, EngineGo},
		{"delegation", "", []string{"gssapidelegatecredentials yes"}, EngineOpenSSH},
		{"pkcs11", "", []string{"pkcs11provider /usr/lib/softhsm/libsofthsm2.so"}, EngineOpenSSH},
		{"hostbased", "", []string{"hostbasedauthentication yes"}, EngineOpenSSH},
		{"sntrup only", "", []string{"kexalgorithms sntrup761x25519-sha512@openssh.com"}, EngineOpenSSH},
		{"sntrup first", "", []string{"kexalgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256"}, EngineGo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseSSHG(sshG(tc.extra...))
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.chooseEngine(tc.asked)
			want := tc.want
			if runtime.GOOS == "windows" { // Windows keeps the Go engine
				if tc.asked == EngineOpenSSH {
					if err == nil {
						t.Error("openssh on Windows: no error; want the refusal")
					}
					return
				}
				want = EngineGo
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Engine != want {
				t.Errorf("engine %q (needs %q); want %q", cfg.Engine, cfg.NeedsOpenSSH, want)
			}
		})
	}
	var cfg HostConfig
	if err := cfg.chooseEngine("ssh"); err == nil {
		t.Error("engine ssh: no error; want one naming the valid engines")
	}
}

// TestKeepGo: a --via master under auto goes back to the Go engine with
// its refusal; asked for OpenSSH by name it fails naming the route.
func TestKeepGo(t *testing.T) {
	sshtest.SkipOnWindows(t, "Windows keeps the Go engine")
	cfg, _ := parseSSHG(sshG("hostbasedauthentication yes"))
	cfg.chooseEngine(EngineAuto)
	if err := cfg.KeepGo("--via"); err == nil || cfg.Engine != EngineGo {
		t.Errorf("auto: KeepGo = %v, engine %q; want the hostbased refusal and go", err, cfg.Engine)
	}
	cfg.chooseEngine(EngineOpenSSH)
	if err := cfg.KeepGo("--via"); err == nil || !strings.Contains(err.Error(), "--via") {
		t.Errorf("openssh: KeepGo = %v; want an error naming --via", err)
	}
}

// TestAcceptedKey reads ssh's debug line into the Go engine's identity
// format.
func TestAcceptedKey(t *testing.T) {
	for line, want := range map[string]string{
		"debug1: Server accepts key: /home/a b/.ssh/id_ed25519 ED25519 SHA256:abc explicit": "ED25519 SHA256:abc",
		"debug1: Server accepts key: a@host RSA SHA256:xyz agent":                           "RSA SHA256:xyz",
		"debug1: Server accepts key: /k-cert.pub ED25519-CERT SHA256:c explicit":            "ED25519 SHA256:c certificate",
		"debug1: Authentications that can continue: publickey":                              "",
	} {
		if got := acceptedKey(line); got != want {
			t.Errorf("acceptedKey(%q) = %q; want %q", line, got, want)
		}
	}
}

// TestEngineStderr: debug lines the master asked for are dropped, the
// others logged and kept for the failure; after the login only logged.
func TestEngineStderr(t *testing.T) {
	var log bytes.Buffer
	s := newEngineStderr(slog.New(slog.NewTextHandler(&log, nil)), nil, nil, true)
	s.Write([]byte("debug1: Server accepts key: k ED25519 SHA256:k explicit\ndebug1: noise\nPermission den"))
	s.Write([]byte("ied (publickey).\r\n"))
	if got := s.reason(); got != "Permission denied (publickey)." {
		t.Errorf("reason = %q", got)
	}
	if id := s.loggedIn(); id != "ED25519 SHA256:k" {
		t.Errorf("identity = %q", id)
	}
	if strings.Contains(log.String(), "noise") {
		t.Errorf("debug line logged:\n%s", log.String())
	}
}

// TestAskpassQuestion: ssh's prompts as questions.
func TestAskpassQuestion(t *testing.T) {
	q := askpassQuestion(askpassRequest{Prompt: "alice@h's password: "}, nil)
	if !q.Password || q.Echos[0] || q.Instruction != "" {
		t.Errorf("password prompt: %+v", q)
	}
	q = askpassQuestion(askpassRequest{Prompt: "The authenticity of host 'h' can't be established.\nED25519 key fingerprint is SHA256:x.\nAre you sure you want to continue connecting (yes/no/[fingerprint])? "}, nil)
	if q.Password || !q.Echos[0] || !strings.HasPrefix(q.Instruction, "The authenticity") || q.Prompts[0] != LocalPrefix+"Are you sure you want to continue connecting (yes/no/[fingerprint])? " {
		t.Errorf("host key prompt: %+v", q)
	}
	q = askpassQuestion(askpassRequest{Prompt: "(alice@h) sshshare: give me your passphrase"}, []string{"Corp SSO", "Step 1"})
	if !strings.HasPrefix(q.Prompts[0], serverMark) || q.Instruction != "Corp SSO\nStep 1" {
		t.Errorf("server prompt naming sshshare: %+v; want it marked, after the lines ssh printed", q)
	}
	q = askpassQuestion(askpassRequest{Prompt: "(alice@h) Verification code: "}, nil)
	if q.Prompts[0] != "Verification code: " {
		t.Errorf("server prompt %q; want it as the server sent it", q.Prompts[0])
	}
	q = askpassQuestion(askpassRequest{Prompt: "Enter passphrase for key '/k': "}, nil)
	if q.Prompts[0] != LocalPrefix+"Enter passphrase for key '/k': " {
		t.Errorf("ssh's own prompt %q; want it the master's", q.Prompts[0])
	}
}

// TestEngineOptions: the engine ssh gets a private master with no
// forwards, batch mode when it may not ask, and a keepalive when the
// config has none.
func TestEngineOptions(t *testing.T) {
	d := &Dialer{Config: HostConfig{UserKnownHostsFiles: []string{"/a b/known"}}}
	opts := d.engineOptions("/s/c", "/s/g")
	for _, want := range []string{"ControlMaster=yes", "ControlPersist=no", "ClearAllForwardings=yes", "BatchMode=yes", "ServerAliveCountMax=4", `UserKnownHostsFile="/a b/known"`, "GlobalKnownHostsFile=/dev/null", "ForwardAgent=/s/g"} {
		if !slices.Contains(opts, want) {
			t.Errorf("options %q lack %q", opts, want)
		}
	}
	if i := slices.Index(opts, "-S"); i < 0 || opts[i+1] != "/s/c" {
		t.Errorf("options %q: no -S /s/c", opts)
	}
}

// fixedPrompter answers every question with answer, recording them.
type fixedPrompter struct {
	answer string
	asked  []Question
}

func (p *fixedPrompter) Ask(q Question) ([]string, error) {
	p.asked = append(p.asked, q)
	return []string{p.answer}, nil
}

// TestAskpassRelay: the askpass program's question reaches the prompter
// and its answer comes back on stdout with a newline; a notice is not
// asked.
func TestAskpassRelay(t *testing.T) {
	sshtest.SkipOnWindows(t, "the askpass relay serves the OpenSSH engine, which Windows does not run")
	dir := shortDir(t)
	p := &fixedPrompter{answer: "s3cret"}
	r, err := startAskpass(dir, "/bin/sshshare", p, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	var out bytes.Buffer
	if err := Askpass(r.ln.Addr().String(), "alice@h's password: ", "", &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "s3cret\n" || len(p.asked) != 1 || !p.asked[0].Password {
		t.Errorf("answer %q, asked %+v", out.String(), p.asked)
	}
	out.Reset()
	if err := Askpass(r.ln.Addr().String(), "Confirm user presence", "none", &out); err != nil || out.Len() != 0 || len(p.asked) != 1 {
		t.Errorf("notice: err %v, out %q, asked %d", err, out.String(), len(p.asked))
	}
}

// shortDir is a private temporary directory whose paths fit a socket.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestEngineFailureRefused: ssh's "Permission denied" as the engine's last
// line is a refused login however the error reads, with a ProxyCommand
// named in it too; another last line is not.
func TestEngineFailureRefused(t *testing.T) {
	for _, tc := range []struct {
		proxy, last string
		refused     bool
	}{
		{"", "u@h: Permission denied (publickey).", true},
		{"nc %h %p", "u@h: Permission denied (publickey,password).", true},
		{"nc %h %p", "ssh: connect to host h port 22: Connection refused", false},
	} {
		e := &engine{stderr: newEngineStderr(slog.New(slog.DiscardHandler), nil, nil, false), exitErr: errors.New("exit status 255")}
		e.stderr.Write([]byte(tc.last + "\n"))
		d := &Dialer{Config: HostConfig{User: "u", HostName: "h", Port: 22, ProxyCommand: tc.proxy}}
		err := e.failure(d)
		if got := errors.Is(err, ErrLoginRefused); got != tc.refused {
			t.Errorf("ProxyCommand %q, last line %q: %v; refused = %v, want %v", tc.proxy, tc.last, err, got, tc.refused)
		}
		if !strings.Contains(err.Error(), strings.TrimPrefix(tc.last, "ssh: ")) {
			t.Errorf("%v: want ssh's line in it", err)
		}
	}
}
