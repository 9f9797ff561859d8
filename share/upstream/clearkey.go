package upstream

import (
	"crypto/ed25519"
	"crypto/rsa"
	"math/big"
)

// clearPrivateKey overwrites the secret numbers of a private key parsed
// from an identity file (ssh.ParseRawPrivateKey's types), so the key
// cannot sign any more. What the standard library derived from them (its
// FIPS forms, made when the key signed) is not reachable here: it becomes
// garbage with the key, and a runtime that clears freed memory clears it
// (see share.forgetLogin).
func clearPrivateKey(raw any) {
	switch k := raw.(type) {
	case ed25519.PrivateKey:
		clear(k)
	case *ed25519.PrivateKey:
		clear(*k)
	case *rsa.PrivateKey:
		clearInts(k.D, k.Precomputed.Dp, k.Precomputed.Dq, k.Precomputed.Qinv)
		clearInts(k.Primes...)
	}
	// An ECDSA key's scalar is a deprecated field, and crypto/ecdsa signs
	// with a form of its own, made from it and cached while the key is
	// reachable: both go with the key, as garbage.
}

// clearInts overwrites the words of each number.
func clearInts(ns ...*big.Int) {
	for _, n := range ns {
		if n != nil {
			clear(n.Bits())
		}
	}
}
