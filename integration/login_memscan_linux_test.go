//go:build linux

package integration

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

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
