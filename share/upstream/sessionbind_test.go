package upstream

import (
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/crypto/ssh"
)

// TestKexSnifferBinding: for each key exchange x/crypto speaks, the
// sniffer finds the server's host key and its signature over the session
// identifier, which is what session-bind@openssh.com hands the agent.
func TestKexSnifferBinding(t *testing.T) {
	for _, kex := range []string{
		ssh.KeyExchangeMLKEM768X25519, ssh.KeyExchangeCurve25519, ssh.KeyExchangeECDHP256,
		ssh.KeyExchangeDH14SHA256, ssh.KeyExchangeDHGEXSHA256,
	} {
		t.Run(kex, func(t *testing.T) {
			hostKey := sshtest.NewKey(t)
			clientSide, serverSide := sshtest.TCPPair(t)
			srv := &ssh.ServerConfig{NoClientAuth: true, Config: ssh.Config{KeyExchanges: []string{kex}}}
			srv.AddHostKey(hostKey)
			go func() {
				if c, _, _, err := ssh.NewServerConn(serverSide, srv); err == nil {
					c.Close()
				}
			}()
			sniff := &kexSniffer{Conn: clientSide}
			cc := &ssh.ClientConfig{User: "u", HostKeyCallback: ssh.InsecureIgnoreHostKey(),
				Config: ssh.Config{KeyExchanges: []string{kex}}}
			conn, _, _, err := ssh.NewClientConn(sniff, "pipe", cc)
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			defer conn.Close()

			gotKey, sigBytes, ok := sniff.binding()
			if !ok {
				t.Fatal("no key exchange reply seen")
			}
			if string(gotKey) != string(hostKey.PublicKey().Marshal()) {
				t.Errorf("host key: got %x; want the server's", gotKey)
			}
			var sig ssh.Signature
			if err := ssh.Unmarshal(sigBytes, &sig); err != nil {
				t.Fatalf("signature: %v", err)
			}
			if err := hostKey.PublicKey().Verify(conn.SessionID(), &sig); err != nil {
				t.Errorf("signature does not verify over the session id: %v", err)
			}
			if !sniff.done.Load() {
				t.Error("sniffer still watching after NEWKEYS")
			}
		})
	}
}
