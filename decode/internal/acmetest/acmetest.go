// Package acmetest builds ACME traffic for the decoder's tests, fuzz seeds
// and benchmarks: account keys, JWS bodies signed correctly (with go-jose)
// or broken on purpose (by hand), journal exchanges, CSRs and certificates
// from a throw-away CA, and whole constructed v1 and v2 flows.
//
// Nothing here is real traffic: recordings of real clients belong in
// decode/testdata/exchanges and are marked as such.
package acmetest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"math/big"

	jose "github.com/go-jose/go-jose/v4"
)

// B64 is base64url without padding.
func B64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Signer is an account (or certificate) key able to sign JWS.
type Signer struct {
	Alg string
	Key crypto.Signer
	// JWK is the public key as a JSON object.
	JWK json.RawMessage
	// Thumbprint is its RFC 7638 SHA-256 thumbprint, base64url.
	Thumbprint string
}

// NewSigner generates a key for alg: RS256 (2048-bit RSA), ES256, ES384 or
// ES512.
func NewSigner(alg string) *Signer {
	var k crypto.Signer
	var err error
	switch alg {
	case "RS256", "RS384", "RS512", "PS256":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	default:
		panic("acmetest: unsupported alg " + alg)
	}
	if err != nil {
		panic(err)
	}
	return SignerFor(alg, k)
}

// SignerFor wraps an existing key.
func SignerFor(alg string, k crypto.Signer) *Signer {
	jwk := jose.JSONWebKey{Key: k.Public()}
	raw, err := jwk.MarshalJSON()
	if err != nil {
		panic(err)
	}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		panic(err)
	}
	return &Signer{Alg: alg, Key: k, JWK: raw, Thumbprint: B64(tp)}
}

// Sign signs input the JWS way: PKCS#1 v1.5 for RS*, raw R||S for ES*
// (RFC 7518 §3.3, §3.4).
func (s *Signer) Sign(input []byte) []byte {
	return SignWith(s.Alg, s.Key, input)
}

// SignWith signs input under alg with k, even when alg does not match k
// (SignWith panics only for an alg it cannot compute at all).
func SignWith(alg string, k crypto.Signer, input []byte) []byte {
	h, ch := hashFor(alg)
	h.Write(input)
	digest := h.Sum(nil)
	switch key := k.(type) {
	case *rsa.PrivateKey:
		if alg[0] == 'P' {
			sig, err := rsa.SignPSS(rand.Reader, key, ch, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
			must(err)
			return sig
		}
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, ch, digest)
		must(err)
		return sig
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, key, digest)
		must(err)
		size := (key.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out
	}
	panic(fmt.Sprintf("acmetest: cannot sign with %T", k))
}

// DERSignature re-encodes a raw R||S ECDSA signature as ASN.1 DER, the
// mistake of reference B12.
func DERSignature(raw []byte) []byte {
	half := len(raw) / 2
	r := new(big.Int).SetBytes(raw[:half])
	s := new(big.Int).SetBytes(raw[half:])
	b, err := asn1Marshal(r, s)
	must(err)
	return b
}

func hashFor(alg string) (hash.Hash, crypto.Hash) {
	switch alg[len(alg)-3:] {
	case "384":
		return sha512.New384(), crypto.SHA384
	case "512":
		return sha512.New(), crypto.SHA512
	}
	return sha256.New(), crypto.SHA256
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
