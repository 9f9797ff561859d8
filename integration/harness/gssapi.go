package harness

import (
	"strings"
)

// GSSAPIHostPrincipals are the service principals ServeSSHD puts in
// sshd's keytab. ssh asks for a ticket to host/<HostName as given> (with
// GSSAPITrustDNS no, its default, and krb5.conf's rdns = false and
// dns_canonicalize_hostname = false, nothing canonicalises it): the
// harness's Host blocks use 127.0.0.1, and a block with HostName
// localhost, or GSSAPIServerIdentity localhost, gets the second.
var GSSAPIHostPrincipals = []string{"host/127.0.0.1", "host/localhost"}

// ServeSSHD returns opts for an sshd that accepts gssapi-with-mic logins
// of this realm and stores delegated tickets: a keytab with the
// GSSAPIHostPrincipals, sshd's environment KRB5_KTNAME (the keytab) and
// KRB5_CONFIG (this realm: sshd maps user@REALM to the local account user
// with krb5.conf's default_realm), and GSSAPIAuthentication yes first in
// Extra. sshd gives a session a fresh environment, so neither variable
// reaches the target's commands; a delegated ticket does, as KRB5CCNAME
// (a FILE cache under /tmp that sshd removes when the session ends).
//
// GSSAPIStrictAcceptorCheck no lets sshd accept a ticket for any
// principal in its keytab: with yes it wants host/<the machine's
// hostname>, which a test cannot choose.
//
// None of it needs root: an sshd run by a normal user reads the keytab,
// accepts the login of that same user and stores the ticket as that user.
func (k *KDC) ServeSSHD(opts SSHDOptions) SSHDOptions {
	k.tb.Helper()
	for _, p := range GSSAPIHostPrincipals {
		k.AddPrincipal(p)
	}
	keytab := k.Keytab(GSSAPIHostPrincipals...)
	opts.Env = append(append([]string{}, opts.Env...), "KRB5_KTNAME=FILE:"+keytab, "KRB5_CONFIG="+k.ConfigPath)
	opts.Extra = strings.Join([]string{
		"GSSAPIAuthentication yes",
		"GSSAPIStrictAcceptorCheck no",
		"GSSAPICleanupCredentials yes",
		opts.Extra,
	}, "\n")
	return opts
}

// LoginClient gives c a Kerberos login: the principal c.SSHD.User in this
// realm (the local account sshd maps it to), a forwardable ticket for it
// in a ticket cache of its own, and KRB5_CONFIG and KRB5CCNAME in c.Env.
// It returns the principal, "user@REALM". The client's Host blocks still
// need GSSAPIAuthentication yes (and GSSAPIDelegateCredentials yes to
// delegate the ticket): ssh's default is no.
func (k *KDC) LoginClient(c *Client) string {
	k.tb.Helper()
	k.AddPrincipal(c.SSHD.User)
	cache := k.Kinit(c.SSHD.User)
	c.Env = append(c.Env, append(k.Env(), "KRB5CCNAME="+cache)...)
	return c.SSHD.User + "@" + k.Realm
}
