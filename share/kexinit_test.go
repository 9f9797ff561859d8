package share

import (
	"encoding/binary"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/localhop"
	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/crypto/ssh"
)

// kexInitBytes is a client's version line and KEXINIT packet listing kex
// and hostKeys, as a client sends them before encryption starts.
func kexInitBytes(kex, hostKeys string) []byte {
	payload := []byte{msgKexInit}
	payload = append(payload, make([]byte, 16)...) // cookie
	for _, list := range []string{kex, hostKeys, "aes128-gcm@openssh.com", "aes128-gcm@openssh.com",
		"hmac-sha2-256", "hmac-sha2-256", "none", "none", "", ""} {
		payload = binary.BigEndian.AppendUint32(payload, uint32(len(list)))
		payload = append(payload, list...)
	}
	payload = append(payload, 0, 0, 0, 0, 0) // first_kex_follows, reserved
	const padding = 8
	b := []byte("SSH-2.0-OpenSSH_9.2\r\n")
	b = binary.BigEndian.AppendUint32(b, uint32(1+len(payload)+padding))
	b = append(b, padding)
	b = append(b, payload...)
	return append(b, make([]byte, padding)...)
}

func TestParseKexInit(t *testing.T) {
	full := kexInitBytes("curve25519-sha256,ecdh-sha2-nistp256", "ssh-ed25519,ecdsa-sha2-nistp256")
	offer, done := parseKexInit(full)
	if !done || !offer.fastKex() || !slices.Contains(offer.hostKeys, ssh.KeyAlgoECDSA256) {
		t.Errorf("full KEXINIT: got %+v done=%v; want both fast", offer, done)
	}
	hardened := kexInitBytes("curve25519-sha256,sntrup761x25519-sha512@openssh.com", "ssh-ed25519,rsa-sha2-512")
	if offer, done := parseKexInit(hardened); !done || offer.fastKex() || slices.Contains(offer.hostKeys, ssh.KeyAlgoECDSA256) {
		t.Errorf("hardened KEXINIT: got %+v done=%v; want neither fast", offer, done)
	}
	for n := range len(full) - 1 {
		if offer, done := parseKexInit(full[:n]); done || offer.kex != nil {
			t.Fatalf("first %d bytes: got %+v done=%v; want more needed", n, offer, done)
		}
	}
	wrongType := slices.Clone(full)
	wrongType[len("SSH-2.0-OpenSSH_9.2\r\n")+5] = 21
	bad := map[string][]byte{
		"not ssh":    []byte("GET / HTTP/1.1\r\n\r\n"),
		"long line":  make([]byte, maxVersionLine+1),
		"wrong type": wrongType,
		"too long":   append([]byte("SSH-2.0-x\r\n"), 0, 1, 0, 0),
		"too short":  append([]byte("SSH-2.0-x\r\n"), 0, 0, 0, 2, 0, 20),
	}
	for name, b := range bad {
		if offer, done := parseKexInit(b); !done || offer.kex != nil {
			t.Errorf("%s: got %+v done=%v; want done with no offer", name, offer, done)
		}
	}
}

func FuzzParseKexInit(f *testing.F) {
	f.Add(kexInitBytes("curve25519-sha256,ecdh-sha2-nistp256", "ecdsa-sha2-nistp256"))
	f.Add([]byte("SSH-2.0-x\r\n\x00\x00\x00\x14\x04\x14"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseKexInit(b)
	})
}

// handshakeLocal runs readAhead and a local server on one end of a
// loopback connection and cfg's client on the other; it returns the host
// key type the client was shown.
func handshakeLocal(t *testing.T, cfg *ssh.ClientConfig, wrap func(net.Conn) net.Conn) string {
	t.Helper()
	keys, err := localhop.HostKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, cli := sshtest.TCPPair(t)
	defer srv.Close()
	defer cli.Close()
	go func() {
		nc, offer := readAhead(srv, localVersion)
		key, err := keys.For(offer.hostKeys)
		if err != nil {
			t.Error(err)
		}
		scfg := localConfig(key, offer)
		scfg.NoClientAuth = true
		if sc, chans, reqs, err := ssh.NewServerConn(nc, scfg); err == nil {
			go ssh.DiscardRequests(reqs)
			go func() {
				for range chans {
				}
			}()
			sc.Wait()
		}
	}()
	var shown string
	cfg.User = "u"
	cfg.HostKeyCallback = func(_ string, _ net.Addr, key ssh.PublicKey) error {
		shown = key.Type()
		if shown != ssh.KeyAlgoECDSA256 && shown != ssh.KeyAlgoED25519 {
			return nil // an extra key, made on demand
		}
		return keys.HostKeyCallback()("", nil, key)
	}
	c, chans, reqs, err := ssh.NewClientConn(wrap(cli), "master", cfg)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	go ssh.DiscardRequests(reqs)
	go func() {
		for range chans {
		}
	}()
	c.Close()
	return shown
}

func same(c net.Conn) net.Conn { return c }

func TestReadAheadPicksFastAlgorithms(t *testing.T) {
	if got := handshakeLocal(t, &ssh.ClientConfig{}, same); got != ssh.KeyAlgoECDSA256 {
		t.Errorf("host key shown: got %s; want %s", got, ssh.KeyAlgoECDSA256)
	}
}

func TestReadAheadHardenedClient(t *testing.T) {
	cfg := &ssh.ClientConfig{HostKeyAlgorithms: []string{ssh.KeyAlgoED25519}}
	cfg.KeyExchanges = []string{"curve25519-sha256"}
	if got := handshakeLocal(t, cfg, same); got != ssh.KeyAlgoED25519 {
		t.Errorf("host key shown: got %s; want %s", got, ssh.KeyAlgoED25519)
	}
}

// TestReadAheadExtraHostKeys: a client that takes neither ECDSA P-256 nor
// ed25519 is shown a key of a type it takes, made on first use.
func TestReadAheadExtraHostKeys(t *testing.T) {
	for _, alg := range []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521} {
		cfg := &ssh.ClientConfig{HostKeyAlgorithms: []string{alg}}
		want := alg
		if alg == ssh.KeyAlgoRSASHA512 {
			want = ssh.KeyAlgoRSA // the key's type; the signature is rsa-sha2-512
		}
		if got := handshakeLocal(t, cfg, same); got != want {
			t.Errorf("HostKeyAlgorithms %s: host key shown: got %s; want %s", alg, got, want)
		}
	}
}

// slowConn holds back every write after the first (the version line) for
// a while, like a client that waits for the server's KEXINIT before
// sending its own.
type slowConn struct {
	net.Conn
	writes int
}

func (c *slowConn) Write(p []byte) (int, error) {
	if c.writes++; c.writes == 2 {
		time.Sleep(kexInitWait + 300*time.Millisecond)
	}
	return c.Conn.Write(p)
}

func TestReadAheadClientThatWaits(t *testing.T) {
	got := handshakeLocal(t, &ssh.ClientConfig{}, func(c net.Conn) net.Conn { return &slowConn{Conn: c} })
	if got != ssh.KeyAlgoED25519 {
		t.Errorf("host key shown: got %s; want %s (the usual offer after the wait)", got, ssh.KeyAlgoED25519)
	}
}
