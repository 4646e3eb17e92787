package decode

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// Key is a public key as the decoder reports it: from a JWS "jwk", from an
// account key learned for a "kid", from a CSR or from a certificate. Keys
// from any of these sources compare by Thumbprint.
type Key struct {
	// Type is the JWK "kty": "RSA", "EC" or "OKP". RFC 7518 §6.1
	Type string `json:"kty"`
	// Curve is the JWK "crv" of EC and OKP keys ("P-256", "Ed25519").
	// RFC 7518 §6.2.1.1
	Curve string `json:"crv,omitempty"`
	// Bits is the RSA modulus size or the curve's field size.
	Bits int `json:"bits"`
	// Thumbprint is the RFC 7638 JWK thumbprint, SHA-256, base64url: the
	// account identity of the flow tracker and the second half of every key
	// authorization (RFC 8555 §8.1).
	Thumbprint string `json:"thumbprint"`
	// Public is the parsed key.
	Public crypto.PublicKey `json:"-"`
}

// Short returns the first 8 characters of the thumbprint, the account tag
// the timeline prints.
func (k *Key) Short() string {
	if k == nil || len(k.Thumbprint) < 8 {
		return ""
	}
	return k.Thumbprint[:8]
}

// Equal reports whether k and o are the same public key.
func (k *Key) Equal(o *Key) bool {
	return k != nil && o != nil && k.Thumbprint != "" && k.Thumbprint == o.Thumbprint
}

// KeyAuthorization returns token + "." + the key's thumbprint, the value an
// http-01 response serves and a v1 client posts (RFC 8555 §8.1).
func (k *Key) KeyAuthorization(token string) string {
	if k == nil {
		return ""
	}
	return token + "." + k.Thumbprint
}

// NewKey describes pub: an *rsa.PublicKey, *ecdsa.PublicKey or
// ed25519.PublicKey. It returns nil for any other type.
func NewKey(pub crypto.PublicKey) *Key {
	k := &Key{Public: pub}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		k.Type, k.Bits = "RSA", p.N.BitLen()
	case *ecdsa.PublicKey:
		k.Type, k.Curve, k.Bits = "EC", p.Curve.Params().Name, p.Curve.Params().BitSize
	case ed25519.PublicKey:
		k.Type, k.Curve, k.Bits = "OKP", "Ed25519", 256
	default:
		return nil
	}
	tp, err := Thumbprint(pub)
	if err != nil {
		return nil
	}
	k.Thumbprint = tp
	return k
}

// Thumbprint returns the RFC 7638 §3 JWK thumbprint of pub with SHA-256,
// base64url without padding: the hash of the JWK's required members in
// lexicographic order with no whitespace ({"e","kty","n"} for RSA,
// {"crv","kty","x","y"} for EC, {"crv","kty","x"} for OKP).
func Thumbprint(pub crypto.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("decode: thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// privateJWKMembers are the JWK members that carry private or symmetric
// key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2).
var privateJWKMembers = [...]string{"d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"}

// parseJWK reads a JWK as a client sent it. It refuses symmetric keys, and
// reports private members (a client leaking its account key) but still
// reads the public half.
func parseJWK(raw json.RawMessage) (*Key, []Issue) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		return nil, []Issue{issuef(IssueJWSBadJWK, "jwk is not a JSON object")}
	}
	var issues []Issue
	stripped := false
	for _, name := range privateJWKMembers {
		if _, ok := members[name]; ok {
			issues = append(issues, issuef(IssueJWSPrivateJWK, "jwk carries private member %q", name))
			delete(members, name)
			stripped = true
		}
	}
	if stripped {
		raw, _ = json.Marshal(members) // re-marshalling a map of raw values cannot fail
	}
	issues = append(issues, leadingZeroIssues(members)...)
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return nil, append(issues, issuef(IssueJWSBadJWK, "jwk: %v", err))
	}
	if !jwk.IsPublic() {
		return nil, append(issues, issuef(IssueJWSBadJWK, "jwk is not an asymmetric public key"))
	}
	k := NewKey(jwk.Key)
	if k == nil {
		return nil, append(issues, issuef(IssueJWSBadJWK, "jwk key type %T not supported", jwk.Key))
	}
	return k, issues
}

// leadingZeroIssues reports RSA "n" or "e" values with a leading zero
// octet, which RFC 7518 §6.3.1.1 forbids and which make a client's own
// thumbprint differ from the server's (acme-reference.md §2.4).
func leadingZeroIssues(members map[string]json.RawMessage) []Issue {
	var kty string
	if json.Unmarshal(members["kty"], &kty) != nil || kty != "RSA" {
		return nil
	}
	var issues []Issue
	for _, name := range [...]string{"n", "e"} {
		var s string
		if json.Unmarshal(members[name], &s) != nil {
			continue
		}
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err == nil && len(b) > 1 && b[0] == 0 {
			issues = append(issues, issuef(IssueJWSLeadingZero, "jwk %q has a leading zero octet", name))
		}
	}
	return issues
}
