//go:build linux

package integration

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestLoginMemoryHoldsNoPassword: 5 s after a password login relayed
// through askpass, the master's memory holds no copy of the password (the
// security review found 3, minutes later). The scan reads every readable
// mapping of the master through /proc/PID/mem, as root (a master that is
// not dumpable can be read by root only).
func TestLoginMemoryHoldsNoPassword(t *testing.T) {
	loginRequireRoot(t, "logs in as a local account with a password (useradd, chpasswd) and reads the master's memory")
	pw := harness.PasswordUser(t, loginPWUser)
	for _, tc := range loginPasswordSSHDs[:2] {
		t.Run(tc.name, func(t *testing.T) {
			askpass := harness.NewAskpass(t, harness.AskpassAnswer{Match: "assword", Answer: pw})
			_, c, _ := loginPasswordClient(t, tc.opts, "pw")
			c.Env = append(c.Env, askpass.Env()...)
			loginRunTrue(t, c, "pw", 2)
			pids := c.MasterPids()
			if len(pids) != 1 {
				t.Fatalf("master pids %v; want one", pids)
			}
			time.Sleep(5 * time.Second) // the time the review waited: a fixed delay is the test
			hits, err := scanMemory(pids[0], []byte(pw))
			if err != nil {
				t.Fatalf("scan master memory: %v", err)
			}
			t.Logf("copies of the password in the master's memory 5 s after login: %d", len(hits))
			for _, h := range hits {
				t.Errorf("password found at %s", h)
			}
		})
	}
}

// TestLoginMemoryHoldsNoPasswordSessionOpen: the same while the ssh that
// answered still has its session open: its connection to the master, which
// decrypted the answer, is alive when the master scans.
func TestLoginMemoryHoldsNoPasswordSessionOpen(t *testing.T) {
	loginRequireRoot(t, "logs in as a local account with a password (useradd, chpasswd) and reads the master's memory")
	pw := harness.PasswordUser(t, loginPWUser)
	askpass := harness.NewAskpass(t, harness.AskpassAnswer{Match: "assword", Answer: pw})
	_, c, _ := loginPasswordClient(t, loginPasswordSSHDs[1].opts, "pw")
	c.Env = append(c.Env, askpass.Env()...)
	session := harness.Start(t, loginNoTTY(c.SSH("pw", "sleep 30")))
	deadline := time.Now().Add(sshTimeout)
	for !strings.Contains(loginMasterLogs(t, c, "pw"), "master ready") {
		if time.Now().After(deadline) || session.Exited() {
			t.Fatalf("no login within %v:\n%s", sshTimeout, loginMasterLogs(t, c, "pw"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	pids := c.MasterPids()
	if len(pids) != 1 {
		t.Fatalf("master pids %v; want one", pids)
	}
	time.Sleep(5 * time.Second)
	if session.Exited() {
		t.Fatalf("the session ended before the scan; want it open")
	}
	hits, err := scanMemory(pids[0], []byte(pw))
	if err != nil {
		t.Fatalf("scan master memory: %v", err)
	}
	t.Logf("copies of the password in the master's memory 5 s after login, session open: %d", len(hits))
	for _, h := range hits {
		t.Errorf("password found at %s", h)
	}
}

// TestLoginMemoryHoldsNoKey: 5 s after a login with an encrypted ed25519
// identity file, the master's memory holds neither the passphrase nor the
// key's seed (the review found 2 and 3 copies, 30 s later).
func TestLoginMemoryHoldsNoKey(t *testing.T) {
	loginRequireRoot(t, "reads the master's memory, which a master that is not dumpable lets only root read")
	const passphrase = "memscan passphrase 7c1e5b"
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	key := filepath.Join(c.Home, ".ssh", "id_encrypted")
	pub := loginNewKey(t, key, passphrase)
	loginWriteFile(t, sshd.AuthorizedKeysPath, pub+"\n")
	pemBytes, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ssh.ParseRawPrivateKeyWithPassphrase(pemBytes, []byte(passphrase))
	if err != nil {
		t.Fatal(err)
	}
	seed := raw.(*ed25519.PrivateKey).Seed()
	askpass := harness.NewAskpass(t, harness.AskpassAnswer{Match: "passphrase", Answer: passphrase})
	c.Env = append(c.Env, askpass.Env()...)
	c.AddShareHost("enc", harness.Binary(t), "IdentityFile "+key, "BatchMode no")
	loginRunTrue(t, c, "enc", 2)
	pids := c.MasterPids()
	if len(pids) != 1 {
		t.Fatalf("master pids %v; want one", pids)
	}
	time.Sleep(5 * time.Second)
	for _, secret := range []struct {
		name  string
		bytes []byte
	}{{"passphrase", []byte(passphrase)}, {"key seed", seed}} {
		hits, err := scanMemory(pids[0], secret.bytes)
		if err != nil {
			t.Fatalf("scan master memory: %v", err)
		}
		t.Logf("copies of the %s in the master's memory 5 s after login: %d", secret.name, len(hits))
		for _, h := range hits {
			t.Errorf("%s found at %s", secret.name, h)
		}
	}
}

// scanMemory returns where secret occurs in the readable mappings of
// process pid, one "address (mapping)" per occurrence.
func scanMemory(pid int, secret []byte) ([]string, error) {
	maps, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		return nil, err
	}
	mem, err := os.Open("/proc/" + strconv.Itoa(pid) + "/mem")
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	var hits []string
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[1][0] != 'r' {
			continue
		}
		var start, end uint64
		if _, err := fmt.Sscanf(f[0], "%x-%x", &start, &end); err != nil {
			return nil, fmt.Errorf("maps line %q: %w", sc.Text(), err)
		}
		if end-start > 1<<30 {
			continue // no mapping of a master is that large
		}
		buf := make([]byte, end-start)
		n, _ := mem.ReadAt(buf, int64(start)) // [vvar] and the like cannot be read
		buf = buf[:n]
		for off := 0; ; {
			i := bytes.Index(buf[off:], secret)
			if i < 0 {
				break
			}
			hits = append(hits, fmt.Sprintf("%#x (%s)", start+uint64(off+i), sc.Text()))
			off += i + 1
		}
	}
	return hits, sc.Err()
}
