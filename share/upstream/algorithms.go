package upstream

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sshshare/sshshare/share/hint"
	"golang.org/x/crypto/ssh"
)

// Algorithms are the algorithm lists of the host's config as `ssh -G`
// prints them: OpenSSH has applied '+', '-' and '^' and filled in its
// defaults, so a list holds exactly what plain ssh would offer. A nil list
// was not printed (an older ssh, or a test's config).
//
// The upstream offers the part of each list that x/crypto implements, in
// the list's order. x/crypto's insecure algorithms (SHA-1 key exchange,
// ssh-rsa signatures, hmac-sha1-96, CBC ciphers) are offered only when a
// list names them, which OpenSSH's defaults never do: x/crypto's own
// defaults, which include some, are never used.
type Algorithms struct {
	Ciphers                  []string
	KexAlgorithms            []string
	MACs                     []string
	HostKeyAlgorithms        []string
	PubkeyAcceptedAlgorithms []string
	CASignatureAlgorithms    []string
	// RequiredRSASize is the fewest bits an RSA host or user key may have
	// (0: no minimum); ssh -G prints OpenSSH's default, 1024.
	RequiredRSASize int
}

// set records one algorithm keyword of ssh -G's output; it reports false
// for any other keyword.
func (a *Algorithms) set(key, value string) bool {
	list := strings.Split(value, ",")
	switch key {
	case "ciphers":
		a.Ciphers = list
	case "kexalgorithms":
		a.KexAlgorithms = list
	case "macs":
		a.MACs = list
	case "hostkeyalgorithms":
		a.HostKeyAlgorithms = list
	case "pubkeyacceptedalgorithms":
		a.PubkeyAcceptedAlgorithms = list
	case "casignaturealgorithms":
		a.CASignatureAlgorithms = list
	case "requiredrsasize":
		a.RequiredRSASize, _ = strconv.Atoi(value)
	default:
		return false
	}
	return true
}

// implemented are the algorithms x/crypto implements for each negotiated
// list, secure and insecure alike: which of them are offered is the
// config's choice.
var implemented = func() (a Algorithms) {
	all, insecure := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	a.Ciphers = slices.Concat(all.Ciphers, insecure.Ciphers)
	// x/crypto speaks the pre-RFC name of curve25519 too, though it lists
	// only the standard one.
	a.KexAlgorithms = slices.Concat(all.KeyExchanges, []string{"curve25519-sha256@libssh.org"}, insecure.KeyExchanges)
	a.MACs = slices.Concat(all.MACs, insecure.MACs)
	a.HostKeyAlgorithms = slices.Concat(all.HostKeys, insecure.HostKeys)
	return a
}()

// secure are the lists used when ssh -G printed none: x/crypto's
// algorithms without the insecure ones.
var secure = func() (a Algorithms) {
	all := ssh.SupportedAlgorithms()
	a.Ciphers, a.KexAlgorithms, a.MACs, a.HostKeyAlgorithms = all.Ciphers, all.KeyExchanges, all.MACs, all.HostKeys
	return a
}()

// defaultPubkeyAccepted is OpenSSH 9.2's PubkeyAcceptedAlgorithms, for a
// config that printed none: RSA keys sign with SHA-2 only.
var defaultPubkeyAccepted = strings.Split("ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,"+
	"ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,"+
	"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,"+
	"ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,"+
	"sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256", ",")

// negotiated are the lists the upstream connection offers.
type negotiated struct {
	ciphers, kex, macs, hostKeys []string
}

// Check reports the first algorithm keyword none of whose algorithms the
// upstream could offer, as an *AlgorithmError with a hint; the master
// calls it before it connects.
func (a Algorithms) Check() error {
	_, err := a.negotiated()
	return err
}

// negotiated intersects each list with what x/crypto implements.
func (a Algorithms) negotiated() (negotiated, error) {
	var n negotiated
	var err error
	if n.ciphers, err = offer("Ciphers", a.Ciphers, implemented.Ciphers, secure.Ciphers); err != nil {
		return n, err
	}
	n.ciphers = gcmFirst(n.ciphers)
	if n.kex, err = offer("KexAlgorithms", a.KexAlgorithms, implemented.KexAlgorithms, secure.KexAlgorithms); err != nil {
		return n, err
	}
	if n.macs, err = offer("MACs", a.MACs, implemented.MACs, secure.MACs); err != nil {
		return n, err
	}
	n.hostKeys, err = offer("HostKeyAlgorithms", a.HostKeyAlgorithms, implemented.HostKeyAlgorithms, secure.HostKeyAlgorithms)
	return n, err
}

// offer keeps the algorithms of listed that x/crypto implements, in
// listed's order; a nil list gives fallback.
func offer(keyword string, listed, implemented, fallback []string) ([]string, error) {
	if listed == nil {
		return slices.Clone(fallback), nil
	}
	var out []string
	for _, a := range listed {
		if slices.Contains(implemented, a) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, hint.With(&AlgorithmError{Keyword: keyword, Listed: listed, Supported: implemented},
			"sshshare cannot speak these; reach this host with plain ssh (leave sshshare's ProxyCommand out of its Host block)")
	}
	return out, nil
}

// gcmFirst moves the AES-GCM ciphers of a list to its front. The list is
// the user's policy, and the master offers nothing else; but OpenSSH's
// default order puts chacha20-poly1305 first, which costs x/crypto about
// twice the CPU per byte of AES-GCM with the AES instructions every
// current CPU has: through one shared connection, bulk copies would run
// at half the speed the user's own ssh gets from the same list.
func gcmFirst(ciphers []string) []string {
	var gcm, rest []string
	for _, c := range ciphers {
		if strings.HasPrefix(c, "aes") && strings.HasSuffix(c, "-gcm@openssh.com") {
			gcm = append(gcm, c)
		} else {
			rest = append(rest, c)
		}
	}
	return append(gcm, rest...)
}

// AlgorithmError is an algorithm list of the config of which sshshare
// implements nothing: the master would fail where plain ssh may not.
type AlgorithmError struct {
	Keyword   string   // Ciphers, KexAlgorithms, MACs or HostKeyAlgorithms
	Listed    []string // the list as ssh -G printed it
	Supported []string // what sshshare implements for the keyword
}

func (e *AlgorithmError) Error() string {
	return fmt.Sprintf("%s %s: none of these is supported (supported: %s)",
		e.Keyword, strings.Join(e.Listed, ","), strings.Join(e.Supported, ","))
}

// hostKeyOrder puts the algorithms of allowed that known (the types of the
// host's known_hosts entries) lists first, as ssh does, keeping allowed's
// order within each part, so the server shows a key that can be checked.
func hostKeyOrder(allowed, known []string) []string {
	first := slices.DeleteFunc(slices.Clone(allowed), func(a string) bool { return !slices.Contains(known, a) })
	rest := slices.DeleteFunc(slices.Clone(allowed), func(a string) bool { return slices.Contains(known, a) })
	return append(first, rest...)
}

// negotiationKeywords name the config keyword and ssh's words for each
// list x/crypto negotiates (its AlgorithmNegotiationError.What).
var negotiationKeywords = []struct{ what, keyword, words string }{
	{"key exchange", "KexAlgorithms", "no matching key exchange method found"},
	{"host key", "HostKeyAlgorithms", "no matching host key type found"},
	{"cipher", "Ciphers", "no matching cipher found"},
	{"MAC", "MACs", "no matching MAC found"},
}

// negotiationError phrases a failed algorithm negotiation as ssh does,
// naming the keyword, with a hint to add the server's algorithm when
// sshshare implements it: as with plain ssh, that is the user's decision.
func negotiationError(addr string, err error) (error, bool) {
	var ne *ssh.AlgorithmNegotiationError
	if !errors.As(err, &ne) {
		return nil, false
	}
	for _, k := range negotiationKeywords {
		if !strings.Contains(ne.What, k.what) {
			continue
		}
		theirs := slices.DeleteFunc(slices.Clone(ne.RequestedAlgorithms), pseudoAlgorithm)
		msg := fmt.Errorf("unable to negotiate with %s: %s: %s. Their offer: %s", addr, k.keyword, k.words, strings.Join(theirs, ","))
		for _, a := range theirs {
			if slices.Contains(implemented.listFor(k.keyword), a) {
				return hint.With(msg, fmt.Sprintf("if you accept %s for this host, add `%s +%s` to its Host block, as plain ssh needs", a, k.keyword, a)), true
			}
		}
		return msg, true
	}
	return nil, false
}

// pseudoAlgorithm reports the key exchange names that announce extensions
// rather than name an algorithm.
func pseudoAlgorithm(a string) bool {
	return a == "ext-info-s" || a == "ext-info-c" || strings.HasPrefix(a, "kex-strict-")
}

// listFor returns the list for a keyword.
func (a Algorithms) listFor(keyword string) []string {
	switch keyword {
	case "Ciphers":
		return a.Ciphers
	case "KexAlgorithms":
		return a.KexAlgorithms
	case "MACs":
		return a.MACs
	case "HostKeyAlgorithms":
		return a.HostKeyAlgorithms
	}
	return nil
}

// rsaAlgorithms are the signature algorithms of an RSA key and of an RSA
// certificate, each pair naming the same underlying signature.
var rsaAlgorithms = [][2]string{
	{ssh.KeyAlgoRSASHA512, ssh.CertAlgoRSASHA512v01},
	{ssh.KeyAlgoRSASHA256, ssh.CertAlgoRSASHA256v01},
	{ssh.KeyAlgoRSA, ssh.CertAlgoRSAv01},
}

// acceptedSigners keeps the signers whose key type PubkeyAcceptedAlgorithms
// lists, as ssh skips the others. An RSA key (or certificate) is limited
// to the RSA signature algorithms the list names, in its order, so it
// never signs with SHA-1 (`ssh-rsa`) unless the list says so.
func acceptedSigners(signers []ssh.Signer, accepted []string) (out []ssh.Signer, skipped []string) {
	if accepted == nil {
		accepted = defaultPubkeyAccepted
	}
	for _, s := range signers {
		typ := s.PublicKey().Type()
		switch typ {
		case ssh.KeyAlgoRSA, ssh.CertAlgoRSAv01:
			if rs := rsaSigner(s, typ == ssh.CertAlgoRSAv01, accepted); rs != nil {
				out = append(out, rs)
				continue
			}
		default:
			if slices.Contains(accepted, typ) {
				out = append(out, s)
				continue
			}
		}
		skipped = append(skipped, typ+" "+ssh.FingerprintSHA256(s.PublicKey()))
	}
	return out, skipped
}

// rsaSigner restricts an RSA signer to the signature algorithms accepted
// lists, or returns nil when it lists none or the signer cannot choose.
func rsaSigner(s ssh.Signer, cert bool, accepted []string) ssh.Signer {
	var algos []string
	for _, a := range accepted {
		for _, pair := range rsaAlgorithms {
			if a == pair[0] && !cert || a == pair[1] && cert {
				algos = append(algos, pair[0])
			}
		}
	}
	as, ok := s.(ssh.AlgorithmSigner)
	if len(algos) == 0 || !ok {
		return nil
	}
	rs, err := ssh.NewSignerWithAlgorithms(as, algos)
	if err != nil {
		return nil
	}
	return rs
}

// caAllowed reports whether a host certificate's CA signature uses an
// algorithm CASignatureAlgorithms lists (nil: OpenSSH's default, which
// leaves out SHA-1 ssh-rsa).
func caAllowed(cert *ssh.Certificate, allowed []string) bool {
	if allowed == nil {
		allowed = defaultCASignature
	}
	return cert.Signature != nil && slices.Contains(allowed, cert.Signature.Format)
}

// defaultCASignature is OpenSSH 9.2's CASignatureAlgorithms.
var defaultCASignature = strings.Split("ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"+
	"sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256", ",")

// rsaTooSmall reports the size of an RSA key (or of a certificate's RSA
// key) that has fewer bits than min, as ssh's RequiredRSASize refuses it;
// 0 for any other key.
func rsaTooSmall(key ssh.PublicKey, min int) int {
	if cert, ok := key.(*ssh.Certificate); ok {
		key = cert.Key
	}
	ck, ok := key.(ssh.CryptoPublicKey)
	if !ok {
		return 0
	}
	rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
	if !ok || rk.N.BitLen() >= min {
		return 0
	}
	return rk.N.BitLen()
}

// largeEnough drops the signers whose RSA keys RequiredRSASize refuses, as
// ssh skips them, and names them.
func largeEnough(signers []ssh.Signer, min int) (out []ssh.Signer, skipped []string) {
	for _, s := range signers {
		if bits := rsaTooSmall(s.PublicKey(), min); bits > 0 {
			skipped = append(skipped, fmt.Sprintf("RSA %s (%d bits)", ssh.FingerprintSHA256(s.PublicKey()), bits))
			continue
		}
		out = append(out, s)
	}
	return out, skipped
}
