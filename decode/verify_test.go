package decode_test

import (
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/decode/internal/acmetest"
)

// TestVerifyAgreesWithGoJose cross-checks the decoder's verification over
// the received strings with go-jose's JSONWebSignature.Verify. On canonical
// base64url the two must agree; on a JWS signed over its padded protected
// header they must not, because go-jose re-encodes the decoded header
// before verifying — which is why the decoder verifies the received
// strings itself (RFC 7515 §5.2).
func TestVerifyAgreesWithGoJose(t *testing.T) {
	f := newFixture(t)
	algs := []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.ES384, jose.ES512, jose.PS256}
	es384, es512 := acmetest.NewSigner("ES384"), acmetest.NewSigner("ES512")
	hdr := func(s *acmetest.Signer) acmetest.Header {
		return h("alg", s.Alg, "jwk", s.JWK, "nonce", nonce, "url", newAcct)
	}
	cases := []struct {
		name     string
		body     []byte
		agree    bool
		ours     decode.Verification
		goJoseOK bool
	}{
		{"ok/es256", acmetest.JWS{Protected: hdr(f.es256), Payload: []byte(`{}`), Signer: f.es256}.Body(), true, decode.VerifyValid, true},
		{"ok/rs256", acmetest.JWS{Protected: hdr(f.rs256), Payload: []byte(`{}`), Signer: f.rs256}.Body(), true, decode.VerifyValid, true},
		{"ok/es384", acmetest.JWS{Protected: hdr(es384), Payload: []byte(`{}`), Signer: es384}.Body(), true, decode.VerifyValid, true},
		{"ok/es512", acmetest.JWS{Protected: hdr(es512), Payload: []byte(`{"a":1}`), Signer: es512}.Body(), true, decode.VerifyValid, true},
		{"ok/ps256", acmetest.JWS{Protected: h("alg", "PS256", "jwk", f.rs256.JWK, "nonce", nonce, "url", newAcct), Payload: []byte(`{}`), Signer: f.rs256, SignAlg: "PS256"}.Body(), true, decode.VerifyValid, true},
		{"fail/es256-tampered", acmetest.JWS{Protected: hdr(f.es256), Payload: []byte(`{}`), Signer: f.es256, BadSignature: true}.Body(), true, decode.VerifyInvalid, false},
		{"fail/rs256-tampered", acmetest.JWS{Protected: hdr(f.rs256), Payload: []byte(`{}`), Signer: f.rs256, BadSignature: true}.Body(), true, decode.VerifyInvalid, false},
		{"ok/loose-trailing-bits-go-jose-disagrees", loosePayload(f.es256), false, decode.VerifyValid, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ours, _ := decode.ParseJWS(tc.body)
			if ours.Verification != tc.ours {
				t.Fatalf("ours: %s (%s), want %s", ours.Verification, ours.VerificationDetail, tc.ours)
			}
			obj, err := jose.ParseSignedJSON(string(tc.body), algs)
			if err != nil && !tc.goJoseOK && !tc.agree {
				return // go-jose refuses what was sent; the decoder still verified it
			}
			if err != nil {
				t.Fatalf("go-jose parse: %v", err)
			}
			_, verr := obj.Verify(obj.Signatures[0].Header.JSONWebKey)
			if (verr == nil) != tc.goJoseOK {
				t.Errorf("go-jose verify error %v, want ok=%v", verr, tc.goJoseOK)
			}
			if agree := (verr == nil) == (ours.Verification == decode.VerifyValid); agree != tc.agree {
				t.Errorf("agreement %v, want %v", agree, tc.agree)
			}
		})
	}
}

// loosePayload signs "e31": base64url of "{}" with non-zero trailing bits.
// A lenient decoder reads "{}", and go-jose then verifies over its own
// re-encoding "e30" instead of the string that was signed.
func loosePayload(s *acmetest.Signer) []byte {
	raw := "e31"
	return acmetest.JWS{Protected: h("alg", s.Alg, "jwk", s.JWK, "nonce", nonce, "url", newAcct), RawPayload: &raw, Signer: s}.Body()
}

// TestPaddedJWSVerifiedOverReceivedStrings: go-jose refuses padded
// base64url outright; the decoder reports the padding and still verifies
// the signature over the strings as sent.
func TestPaddedJWSVerifiedOverReceivedStrings(t *testing.T) {
	s := acmetest.NewSigner("ES256")
	hd := h("alg", s.Alg, "jwk", s.JWK, "nonce", nonce, "url", newAcct)
	for i := 0; len(acmetest.JSON(hd))%3 == 0; i++ {
		hd["x"] = strings.Repeat("a", i)
	}
	body := acmetest.JWS{Protected: hd, Payload: []byte(`{}`), Signer: s, PadProtected: true}.Body()
	if _, err := jose.ParseSignedJSON(string(body), []jose.SignatureAlgorithm{jose.ES256}); err == nil {
		t.Errorf("go-jose accepted padded base64url; the premise of this test changed")
	}
	j, issues := decode.ParseJWS(body)
	if j.Verification != decode.VerifyValid || len(issues) != 1 || issues[0].Code != decode.IssueJWSPaddedBase64 {
		t.Errorf("verification %s, issues %v", j.Verification, issues)
	}
}
