package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// KDCRealm is the realm StartKDC serves.
const KDCRealm = "SSHSHARE.TEST"

// kdcPrograms are the MIT Kerberos programs StartKDC and Kinit run, and
// the Debian packages that bring them.
var kdcPrograms = [][2]string{
	{"krb5kdc", "krb5-kdc"},
	{"kdb5_util", "krb5-kdc"},
	{"kadmin.local", "krb5-admin-server"},
	{"kinit", "krb5-user"},
	{"klist", "krb5-user"},
}

// KDCMissing returns nil when the programs of a test KDC are installed,
// and otherwise an error naming the missing ones and their packages. The
// harness never skips: a test decides (skip outside CI, fail in it).
func KDCMissing() error { return missingPrograms(kdcPrograms) }

// KDC is an MIT Kerberos KDC (krb5kdc) for the realm KDCRealm on a free
// port of 127.0.0.1, with its own database, stash and configuration in a
// temporary directory: nothing system-wide is read or written, and
// nothing of it needs root. Every program it runs gets KRB5_CONFIG and
// KRB5_KDC_PROFILE naming its own files.
type KDC struct {
	Realm string
	Port  int
	Dir   string // the database, keytabs, ticket caches and logs
	// ConfigPath is the krb5.conf that names this KDC, for KRB5_CONFIG:
	// no DNS, no reverse lookups (rdns = false), no hostname
	// canonicalisation, forwardable tickets, and a k5login_directory of
	// its own so that a ~/.k5login of the real account is never read.
	ConfigPath string
	LogPath    string // krb5kdc's log
	Proc       *Proc

	profile string // kdc.conf, for KRB5_KDC_PROFILE
	tb      TB
}

// StartKDC creates a realm database and starts krb5kdc on it, and waits
// until it answers: a cleanup stops it. It calls tb.Fatalf when the
// programs are missing (see KDCMissing).
func StartKDC(tb TB) *KDC {
	tb.Helper()
	if err := KDCMissing(); err != nil {
		tb.Fatalf("%v", err)
	}
	k := &KDC{Realm: KDCRealm, Dir: tb.TempDir(), tb: tb}
	k.ConfigPath = filepath.Join(k.Dir, "krb5.conf")
	k.profile = filepath.Join(k.Dir, "kdc.conf")
	k.LogPath = filepath.Join(k.Dir, "kdc.log")
	if err := os.Mkdir(filepath.Join(k.Dir, "k5login"), 0o700); err != nil {
		tb.Fatalf("kdc: %v", err)
	}
	for attempt := 1; ; attempt++ {
		err := k.start()
		if err == nil {
			return k
		}
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			tb.Fatalf("start krb5kdc: %v\nlog:\n%s", err, k.Log())
		}
		tb.Logf("krb5kdc: port %d taken, retrying", k.Port)
	}
}

// start renders the configuration for a fresh port, creates the database
// the first time, and runs krb5kdc once in the foreground (-n).
func (k *KDC) start() error {
	k.tb.Helper()
	port, err := freePort()
	if err != nil {
		return err
	}
	k.Port = port
	if err := os.WriteFile(k.ConfigPath, []byte(k.krb5Conf()), 0o644); err != nil {
		return fmt.Errorf("write krb5.conf: %w", err)
	}
	if err := os.WriteFile(k.profile, []byte(k.kdcConf()), 0o600); err != nil {
		return fmt.Errorf("write kdc.conf: %w", err)
	}
	if _, err := os.Stat(filepath.Join(k.Dir, "principal")); err != nil {
		// -W: the master password is not worth reading /dev/random for.
		k.admin("kdb5_util", "create", "-s", "-W", "-r", k.Realm, "-P", "sshshare-test-master")
	}
	os.Remove(k.LogPath) // the log of a try that lost its port
	k.Proc = Start(k.tb, k.command("krb5kdc", "-n", "-r", k.Realm))
	return k.waitServing()
}

// krb5Conf is the client side of the realm: for kinit and klist, ssh, and
// sshd (which needs default_realm to map a principal to a local account).
func (k *KDC) krb5Conf() string {
	return fmt.Sprintf(`[libdefaults]
	default_realm = %[1]s
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	forwardable = true
	udp_preference_limit = 1
	k5login_directory = %[3]s
[realms]
	%[1]s = {
		kdc = 127.0.0.1:%[2]d
	}
`, k.Realm, k.Port, filepath.Join(k.Dir, "k5login"))
}

// kdcConf is the KDC side: where it listens, its database and its log.
func (k *KDC) kdcConf() string {
	return fmt.Sprintf(`[kdcdefaults]
	kdc_listen = 127.0.0.1:%[2]d
	kdc_tcp_listen = 127.0.0.1:%[2]d
[realms]
	%[1]s = {
		database_name = %[3]s
		key_stash_file = %[4]s
		acl_file = %[5]s
	}
[logging]
	kdc = FILE:%[6]s
`, k.Realm, k.Port, filepath.Join(k.Dir, "principal"), filepath.Join(k.Dir, "stash"),
		filepath.Join(k.Dir, "kadm5.acl"), k.LogPath)
}

// waitServing polls until the log says krb5kdc set up its sockets, or it
// exits (on a taken port, errPortTaken).
func (k *KDC) waitServing() error {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		log := k.Log()
		if k.Proc.Exited() {
			if strings.Contains(log, "in use") || strings.Contains(string(k.Proc.Stderr()), "in use") {
				return errPortTaken
			}
			return fmt.Errorf("krb5kdc exited: %v\nstderr:\n%s", k.Proc.Err(), k.Proc.Stderr())
		}
		if strings.Contains(log, "commencing operation") {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("krb5kdc not serving on 127.0.0.1:%d after %v", k.Port, startTimeout)
}

// Log returns krb5kdc's log so far: one line per ticket it issued.
func (k *KDC) Log() string {
	b, _ := os.ReadFile(k.LogPath)
	return string(b)
}

// Env is the environment a Kerberos client of this realm needs:
// KRB5_CONFIG naming ConfigPath.
func (k *KDC) Env() []string { return []string{"KRB5_CONFIG=" + k.ConfigPath} }

// AddPrincipal adds name (without the realm) with a random key.
func (k *KDC) AddPrincipal(name string) {
	k.tb.Helper()
	k.admin("kadmin.local", "-r", k.Realm, "-q", "addprinc -randkey "+name)
}

// Keytab writes the keys of the principals (names without the realm) to
// a new keytab file and returns its path. It gives them new keys, so a
// ticket issued earlier for one of them no longer decrypts.
func (k *KDC) Keytab(principals ...string) string {
	k.tb.Helper()
	f, err := os.CreateTemp(k.Dir, "keytab-")
	if err != nil {
		k.tb.Fatalf("keytab: %v", err)
	}
	path := f.Name()
	f.Close()
	os.Remove(path) // kadmin.local will not add to an empty file
	for _, p := range principals {
		k.admin("kadmin.local", "-r", k.Realm, "-q", "ktadd -k "+path+" "+p)
	}
	return path
}

// Kinit gets a forwardable ticket-granting ticket for principal (without
// the realm) from its keys, in a new FILE ticket cache of its own, and
// returns the cache's name for KRB5CCNAME ("FILE:/..."). No password is
// asked or passed: kinit reads the keys from a keytab.
func (k *KDC) Kinit(principal string) string {
	k.tb.Helper()
	keytab := k.Keytab(principal)
	cache := "FILE:" + filepath.Join(k.Dir, "ccache-"+filepath.Base(keytab))
	cmd := k.command("kinit", "-f", "-k", "-t", keytab, principal)
	cmd.Env = append(cmd.Env, "KRB5CCNAME="+cache)
	if res := Run(k.tb, 30*time.Second, cmd); res.Code != 0 {
		k.tb.Fatalf("kinit %s: %s\nkdc log:\n%s", principal, res, k.Log())
	}
	return cache
}

// admin runs one of the database programs (kdb5_util, kadmin.local),
// which work on the database files directly: no kadmind, no password.
func (k *KDC) admin(program string, args ...string) {
	k.tb.Helper()
	if res := Run(k.tb, 30*time.Second, k.command(program, args...)); res.Code != 0 {
		k.tb.Fatalf("%s %s: %s", program, strings.Join(args, " "), res)
	}
}

// command returns program (found as KDCMissing finds it) with an
// environment of PATH, KRB5_CONFIG and KRB5_KDC_PROFILE only.
func (k *KDC) command(program string, args ...string) *exec.Cmd {
	path, err := findProgram(program)
	if err != nil {
		path = program // KDCMissing reported it already
	}
	cmd := exec.Command(path, args...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"KRB5_CONFIG=" + k.ConfigPath,
		"KRB5_KDC_PROFILE=" + k.profile,
	}
	return cmd
}

// sbinDirs are where Debian puts the daemons and admin programs, off a
// normal user's PATH.
var sbinDirs = []string{"/usr/sbin", "/sbin"}

// findProgram returns the path of name: on PATH, or in an sbin directory.
func findProgram(name string) (string, error) {
	if path, err := exec.LookPath(name); err == nil {
		return path, nil
	}
	for _, dir := range sbinDirs {
		path := filepath.Join(dir, name)
		if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return path, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// missingPrograms returns an error naming the programs of pairs (program,
// package) that findProgram cannot find, with an apt-get line for their
// packages, or nil.
func missingPrograms(pairs [][2]string) error {
	var programs, packages []string
	seen := make(map[string]bool)
	for _, p := range pairs {
		if _, err := findProgram(p[0]); err == nil {
			continue
		}
		programs = append(programs, p[0])
		if !seen[p[1]] {
			seen[p[1]] = true
			packages = append(packages, p[1])
		}
	}
	if len(programs) == 0 {
		return nil
	}
	return fmt.Errorf("%s not installed: apt-get install -y --no-install-recommends %s",
		strings.Join(programs, ", "), strings.Join(packages, " "))
}
