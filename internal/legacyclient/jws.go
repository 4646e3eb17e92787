package legacyclient

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

var b64 = base64.RawURLEncoding

// jwk returns the public JWK of key with its members in RFC 7638 order, so
// its JSON is also the thumbprint input.
func jwk(key crypto.Signer) (map[string]string, string, error) {
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		e := big.NewInt(int64(pub.E)).Bytes()
		return map[string]string{"e": b64.EncodeToString(e), "kty": "RSA", "n": b64.EncodeToString(pub.N.Bytes())}, "RS256", nil
	case *ecdsa.PublicKey:
		if pub.Curve.Params().Name != "P-256" {
			return nil, "", fmt.Errorf("legacyclient: curve %s not supported", pub.Curve.Params().Name)
		}
		raw, err := pub.Bytes() // 0x04 || X || Y
		if err != nil {
			return nil, "", err
		}
		return map[string]string{"crv": "P-256", "kty": "EC", "x": b64.EncodeToString(raw[1:33]), "y": b64.EncodeToString(raw[33:])}, "ES256", nil
	}
	return nil, "", errors.New("legacyclient: unsupported key type")
}

// thumbprint is the RFC 7638 JWK thumbprint. encoding/json sorts map keys,
// which is the canonical member order.
func thumbprint(key crypto.Signer) (string, error) {
	j, _, err := jwk(key)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(j)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return b64.EncodeToString(sum[:]), nil
}

// sign builds a v1 flattened JWS the way acme-tiny did: alg and jwk both in
// an unprotected "header" and in the protected header with the nonce.
func sign(key crypto.Signer, nonce string, payload any) ([]byte, error) {
	j, alg, err := jwk(key)
	if err != nil {
		return nil, err
	}
	pl, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	prot, err := json.Marshal(map[string]any{"alg": alg, "jwk": j, "nonce": nonce})
	if err != nil {
		return nil, err
	}
	p64, pl64 := b64.EncodeToString(prot), b64.EncodeToString(pl)
	sum := sha256.Sum256([]byte(p64 + "." + pl64))
	sig, err := signDigest(key, sum[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"header":    map[string]any{"alg": alg, "jwk": j},
		"protected": p64,
		"payload":   pl64,
		"signature": b64.EncodeToString(sig),
	})
}

// signDigest signs a SHA-256 digest: PKCS #1 v1.5 for RSA, raw R||S for
// ECDSA (RFC 7518 §3.4).
func signDigest(key crypto.Signer, digest []byte) ([]byte, error) {
	if k, ok := key.(*ecdsa.PrivateKey); ok {
		r, s, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out, nil
	}
	return key.Sign(rand.Reader, digest, crypto.SHA256)
}
