package decode_test

import (
	"crypto/sha256"
	"encoding/json"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/acmeproxy/acmeproxy/decode"
)

// TestThumbprintVectors checks RFC 7638 thumbprints against published
// vectors.
func TestThumbprintVectors(t *testing.T) {
	cases := []struct {
		name, jwk, want string
	}{
		{
			// acme-reference.md §2.4: a fixed P-256 key, computed with Python
			// by the reference's author.
			name: "ok/reference-2.4-p256",
			jwk:  `{"crv":"P-256","kty":"EC","x":"Rxw-dYxJBChbun5TEY7Q9SSt6wdX0lvS-Oew1236cUw","y":"3VIPesqKi5F6zDf1HejwybvjrYWDgucC3CWhLQn3qFg"}`,
			want: "D8HvZq-fumkXpCwYIpjAPoqJx7WoEcJUS7tPPyIEJKI",
		},
		{
			// RFC 7638 §3.1, the RSA example key.
			name: "ok/rfc7638-3.1-rsa",
			jwk: `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
				"e":"AQAB","alg":"RS256","kid":"2011-04-29"}`,
			want: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var k jose.JSONWebKey
			if err := json.Unmarshal([]byte(tc.jwk), &k); err != nil {
				t.Fatal(err)
			}
			got, err := decode.Thumbprint(k.Key)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("thumbprint %s, want %s", got, tc.want)
			}
		})
	}
}

// TestKeyAuthorizationVector checks the key authorization and dns-01 TXT
// value of acme-reference.md §2.4 (RFC 8555 §8.1, §8.4).
func TestKeyAuthorizationVector(t *testing.T) {
	var k jose.JSONWebKey
	if err := json.Unmarshal([]byte(`{"crv":"P-256","kty":"EC","x":"Rxw-dYxJBChbun5TEY7Q9SSt6wdX0lvS-Oew1236cUw","y":"3VIPesqKi5F6zDf1HejwybvjrYWDgucC3CWhLQn3qFg"}`), &k); err != nil {
		t.Fatal(err)
	}
	key := decode.NewKey(k.Key)
	const tok = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
	ka := key.KeyAuthorization(tok)
	if want := tok + ".D8HvZq-fumkXpCwYIpjAPoqJx7WoEcJUS7tPPyIEJKI"; ka != want {
		t.Fatalf("key authorization %s, want %s", ka, want)
	}
	sum := sha256.Sum256([]byte(ka))
	if txt := base64URL.EncodeToString(sum[:]); txt != "mLDr-WvPvsTaMavQxhJVVsFBtXUzfAjUE0QgbLXbcQw" {
		t.Errorf("dns-01 TXT %s", txt)
	}
	if key.Type != "EC" || key.Curve != "P-256" || key.Bits != 256 || key.Short() != "D8HvZq-f" {
		t.Errorf("key %+v", key)
	}
}

// TestThumbprintFromJWSMatchesGoJose checks the thumbprint the decoder
// reports for an embedded jwk against go-jose's own computation.
func TestThumbprintFromJWSMatchesGoJose(t *testing.T) {
	f := newFixture(t)
	for _, s := range []*struct {
		name string
		body []byte
		want string
	}{
		{"ok/es256", f.es256.V2(newAcct, "", nonce, []byte(`{}`)), f.es256.Thumbprint},
		{"ok/rs256", f.rs256.V2(newAcct, "", nonce, []byte(`{}`)), f.rs256.Thumbprint},
	} {
		t.Run(s.name, func(t *testing.T) {
			j, issues := decode.ParseJWS(s.body)
			if len(issues) != 0 || j.Key == nil || j.Key.Thumbprint != s.want || j.Verification != decode.VerifyValid {
				t.Errorf("jws %+v issues %v", j, issues)
			}
		})
	}
}
