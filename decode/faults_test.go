package decode_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/decode/internal/acmetest"
	"github.com/acmeproxy/acmeproxy/journal"
)

type faultCase struct {
	name    string
	dialect string // "v1" or "v2": which prelude runs first
	build   func(f *fixture) acmetest.Exchange
	want    []decode.IssueCode                // exactly these codes (ok/ cases: none)
	verify  decode.Verification               // expected JWS verification; "" = not checked
	op      decode.Operation                  // expected operation; "" = not checked
	check   func(*testing.T, *decode.Message) // extra assertions
}

func h(kv ...any) acmetest.Header {
	out := acmetest.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// v2h is the usual v2 protected header for url signed by key id kid.
func v2h(url string) acmetest.Header {
	return h("alg", "ES256", "kid", kid, "nonce", nonce, "url", url)
}

func okCases() []faultCase {
	return []faultCase{
		{name: "ok/es256-kid", build: func(f *fixture) acmetest.Exchange {
			return post(newOrder, f.es256.V2(newOrder, kid, nonce, []byte(`{"identifiers":[{"type":"dns","value":"a.example"}]}`)))
		}, verify: decode.VerifyValid, op: decode.OpOrderCreate},
		{name: "ok/go-jose-kid", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, f.es256.GoJose(orderURL, kid, nonce, nil))
		}, verify: decode.VerifyValid, op: decode.OpOrderPoll},
		{name: "ok/go-jose-jwk-new-account-rs256", build: func(f *fixture) acmetest.Exchange {
			return post(newAcct, f.rs256.GoJose(newAcct, "", nonce, []byte(`{"termsOfServiceAgreed":true}`)))
		}, verify: decode.VerifyValid, op: decode.OpAccountCreate},
		{name: "ok/es384-new-account", build: func(f *fixture) acmetest.Exchange {
			s := acmetest.NewSigner("ES384")
			return post(newAcct, s.V2(newAcct, "", nonce, []byte(`{"onlyReturnExisting":true}`)))
		}, verify: decode.VerifyValid, op: decode.OpAccountLookup},
		{name: "ok/es512-new-account", build: func(f *fixture) acmetest.Exchange {
			s := acmetest.NewSigner("ES512")
			return post(newAcct, s.V2(newAcct, "", nonce, []byte(`{}`)))
		}, verify: decode.VerifyValid, op: decode.OpAccountCreate},
		{name: "ok/challenge-trigger-empty-object", build: func(f *fixture) acmetest.Exchange {
			return post(challURL, f.es256.V2(challURL, kid, nonce, []byte(`{}`)))
		}, verify: decode.VerifyValid, op: decode.OpChallengeTrigger},
		{name: "ok/challenge-poll-post-as-get", build: func(f *fixture) acmetest.Exchange {
			return post(challURL, f.es256.V2(challURL, kid, nonce, nil))
		}, verify: decode.VerifyValid, op: decode.OpChallengePoll},
		{name: "ok/authz-deactivate", build: func(f *fixture) acmetest.Exchange {
			return post(authzURL, f.es256.V2(authzURL, kid, nonce, []byte(`{"status":"deactivated"}`)))
		}, verify: decode.VerifyValid, op: decode.OpAuthzDeactivate},
		{name: "ok/revoke-with-certificate-key-jwk", build: func(f *fixture) acmetest.Exchange {
			u := pb + "/revoke-cert"
			return post(u, f.other.V2(u, "", nonce, []byte(`{"certificate":"MIIB","reason":1}`)))
		}, want: []decode.IssueCode{decode.IssuePayloadBadCertificate}, verify: decode.VerifyValid, op: decode.OpRevoke},
		{name: "ok/eab-hs256", build: func(f *fixture) acmetest.Exchange {
			eab := acmetest.HMAC([]byte("0123456789abcdef0123456789abcdef"), "kid-1", newAcct, f.other.JWK, nil)
			return post(newAcct, f.other.V2(newAcct, "", nonce, acmetest.JSON(map[string]any{"termsOfServiceAgreed": true, "externalAccountBinding": eab})))
		}, verify: decode.VerifyValid, op: decode.OpAccountCreate, check: func(t *testing.T, m *decode.Message) {
			if m.Payload.EAB == nil || m.Payload.EAB.Protected.KID != "kid-1" {
				t.Errorf("EAB not decoded: %+v", m.Payload.EAB)
			}
		}},
		{name: "ok/v1-new-reg-acme-tiny-unprotected-header", dialect: "v1", build: func(f *fixture) acmetest.Exchange {
			return post(v1b+"/acme/new-reg", f.rs256.V1(nonce, []byte(`{"resource":"new-reg","agreement":"https://x/tos"}`), true))
		}, verify: decode.VerifyValid, op: decode.OpAccountCreate},
		{name: "ok/v1-challenge-key-authorization", dialect: "v1", build: func(f *fixture) acmetest.Exchange {
			ka := token + "." + f.rs256.Thumbprint
			return post(v1b+"/acme/challenge/A/1", f.rs256.V1(nonce, acmetest.JSON(map[string]string{"resource": "challenge", "type": "http-01", "keyAuthorization": ka}), false))
		}, verify: decode.VerifyValid, op: decode.OpChallengeTrigger},
		{name: "ok/v1-plain-get-authz", dialect: "v1", build: func(f *fixture) acmetest.Exchange {
			return acmetest.Exchange{Method: "GET", URL: v1b + "/acme/authz/A", ReqHeaders: acmetest.Headers("User-Agent", "x"), Status: 200}
		}, op: decode.OpAuthzFetch},
	}
}

func jwsFaultCases() []faultCase {
	return []faultCase{
		{name: "fail/bad-signature", build: func(f *fixture) acmetest.Exchange {
			return post(newOrder, acmetest.JWS{Protected: v2h(newOrder), Payload: []byte(`{}`), Signer: f.es256, BadSignature: true}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSBadSignature}, verify: decode.VerifyInvalid},
		{name: "fail/bad-signature-rs256", build: func(f *fixture) acmetest.Exchange {
			u := pb + "/sign-me-up"
			return post(u, acmetest.JWS{Protected: h("alg", "RS256", "jwk", f.rs256.JWK, "nonce", nonce, "url", u), Payload: []byte(`{}`), Signer: f.rs256, BadSignature: true}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSBadSignature}, verify: decode.VerifyInvalid},
		{name: "fail/signed-by-other-key-than-kid", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, f.other.V2(orderURL, kid, nonce, nil))
		}, want: []decode.IssueCode{decode.IssueJWSBadSignature}, verify: decode.VerifyInvalid},
		{name: "fail/alg-none", build: func(f *fixture) acmetest.Exchange {
			j := acmetest.JWS{Protected: h("alg", "none", "kid", kid, "nonce", nonce, "url", orderURL)}
			return post(orderURL, j.Body())
		}, want: []decode.IssueCode{decode.IssueJWSAlgNone}, verify: decode.VerifyNotChecked},
		{name: "fail/alg-hs256-outside-eab", build: func(f *fixture) acmetest.Exchange {
			j := acmetest.JWS{Protected: h("alg", "HS256", "kid", kid, "nonce", nonce, "url", orderURL)}
			return post(orderURL, j.Body())
		}, want: []decode.IssueCode{decode.IssueJWSAlgMAC}, verify: decode.VerifyNotChecked},
		{name: "fail/alg-ps256-unsupported", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, acmetest.JWS{Protected: h("alg", "PS256", "kid", kid, "nonce", nonce, "url", orderURL), Signer: f.es256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSAlgUnsupported, decode.IssueJWSAlgKeyMismatch}, verify: decode.VerifyNotChecked},
		{name: "fail/alg-rs256-with-ec-key", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, acmetest.JWS{Protected: h("alg", "RS256", "kid", kid, "nonce", nonce, "url", orderURL), Signer: f.es256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSAlgKeyMismatch}, verify: decode.VerifyNotChecked},
		{name: "fail/alg-missing", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, acmetest.JWS{Protected: h("kid", kid, "nonce", nonce, "url", orderURL), Signer: f.es256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSMissingAlg}, verify: decode.VerifyNotChecked},
		{name: "fail/ecdsa-der-signature", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, acmetest.JWS{Protected: v2h(orderURL), Signer: f.es256, DER: true}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSDERSignature}, verify: decode.VerifyInvalid},
	}
}

func jwsHeaderCases() []faultCase {
	return []faultCase{
		{name: "fail/missing-nonce", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, acmetest.JWS{Protected: h("alg", "ES256", "kid", kid, "url", orderURL), Signer: f.es256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSMissingNonce}, verify: decode.VerifyValid},
		{name: "fail/nonce-not-base64url", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, acmetest.JWS{Protected: h("alg", "ES256", "kid", kid, "nonce", "a+b/c=", "url", orderURL), Signer: f.es256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSBadNonce}, verify: decode.VerifyValid},
		{name: "fail/missing-url", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, acmetest.JWS{Protected: h("alg", "ES256", "kid", kid, "nonce", nonce), Signer: f.es256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSMissingURL}, verify: decode.VerifyValid},
		{name: "fail/url-trailing-slash", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, f.es256.V2(orderURL+"/", kid, nonce, nil))
		}, want: []decode.IssueCode{decode.IssueJWSURLMismatch}, verify: decode.VerifyValid},
		{name: "fail/kid-on-new-account", build: func(f *fixture) acmetest.Exchange {
			return post(newAcct, f.es256.V2(newAcct, kid, nonce, []byte(`{"termsOfServiceAgreed":true}`)))
		}, want: []decode.IssueCode{decode.IssueJWSKidNotJWK}, verify: decode.VerifyValid},
		{name: "fail/jwk-on-new-order", build: func(f *fixture) acmetest.Exchange {
			return post(newOrder, f.es256.V2(newOrder, "", nonce, []byte(`{"identifiers":[]}`)))
		}, want: []decode.IssueCode{decode.IssueJWSJWKNotKid}, verify: decode.VerifyValid},
		{name: "fail/jwk-and-kid", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, acmetest.JWS{Protected: h("alg", "ES256", "kid", kid, "jwk", f.es256.JWK, "nonce", nonce, "url", orderURL), Signer: f.es256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSJWKAndKid}, verify: decode.VerifyValid},
		{name: "fail/neither-jwk-nor-kid", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, acmetest.JWS{Protected: h("alg", "ES256", "nonce", nonce, "url", orderURL), Signer: f.es256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSMissingKey}, verify: decode.VerifyNotChecked},
		{name: "fail/unknown-kid-not-verified", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, f.es256.V2(orderURL, pb+"/my-account/999", nonce, nil))
		}, verify: decode.VerifyUnknownKey},
		{name: "fail/unprotected-header-v2", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, acmetest.JWS{Protected: v2h(orderURL), Unprotected: h("alg", "ES256"), Signer: f.es256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSUnprotected}, verify: decode.VerifyValid},
	}
}

func jwsEncodingCases() []faultCase {
	padded := func(f *fixture, part string) acmetest.Exchange {
		// 19 bytes: its base64url needs padding
		j := acmetest.JWS{Protected: v2h(newOrder), Payload: []byte(`{"identifiers":[ ]}`), Signer: f.es256}
		switch part {
		case "protected":
			for i := 0; len(acmetest.JSON(j.Protected))%3 == 0; i++ {
				j.Protected["x"] = strings.Repeat("a", i) // until the encoded header needs padding
			}
			j.PadProtected = true
		case "payload":
			j.PadPayload = true
		case "signature":
			j.PadSignature = true
		}
		return post(newOrder, j.Body())
	}
	return []faultCase{
		{name: "fail/padded-protected", build: func(f *fixture) acmetest.Exchange { return padded(f, "protected") },
			want: []decode.IssueCode{decode.IssueJWSPaddedBase64}, verify: decode.VerifyValid},
		{name: "fail/padded-payload", build: func(f *fixture) acmetest.Exchange { return padded(f, "payload") },
			want: []decode.IssueCode{decode.IssueJWSPaddedBase64}, verify: decode.VerifyValid},
		{name: "fail/padded-signature", build: func(f *fixture) acmetest.Exchange { return padded(f, "signature") },
			want: []decode.IssueCode{decode.IssueJWSPaddedBase64}, verify: decode.VerifyValid},
		{name: "fail/bad-base64-payload", build: func(f *fixture) acmetest.Exchange {
			bad := "e30+/"
			return post(orderURL, acmetest.JWS{Protected: v2h(orderURL), RawPayload: &bad, Signer: f.es256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSBadBase64}, verify: decode.VerifyNotChecked},
		{name: "fail/missing-signature-member", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, []byte(`{"protected":"e30","payload":""}`))
		}, want: []decode.IssueCode{decode.IssueJWSMissingAlg, decode.IssueJWSMissingMember, decode.IssueJWSMissingNonce,
			decode.IssueJWSMissingURL, decode.IssueJWSMissingKey}, verify: decode.VerifyNotChecked},
		{name: "fail/general-serialization", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, acmetest.JWS{Protected: v2h(orderURL), Signer: f.es256, General: true}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSGeneral}, verify: decode.VerifyValid},
		{name: "fail/compact-serialization", build: func(f *fixture) acmetest.Exchange {
			b := acmetest.JWS{Protected: v2h(orderURL), Signer: f.es256}.Body()
			var obj map[string]string
			_ = json.Unmarshal(b, &obj)
			return post(orderURL, []byte(obj["protected"]+"."+obj["payload"]+"."+obj["signature"]))
		}, want: []decode.IssueCode{decode.IssueJWSCompact}, verify: decode.VerifyValid},
		{name: "fail/unencoded-payload-b64-false", build: func(f *fixture) acmetest.Exchange {
			raw := `{"status":"deactivated"}`
			hd := v2h(authzURL)
			hd["b64"] = false
			hd["crit"] = []string{"b64"}
			return post(authzURL, acmetest.JWS{Protected: hd, RawPayload: &raw, Signer: f.es256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSUnencoded}, verify: decode.VerifyValid, op: decode.OpAuthzDeactivate},
		{name: "fail/private-jwk", build: func(f *fixture) acmetest.Exchange {
			var m map[string]any
			_ = json.Unmarshal(f.other.JWK, &m)
			m["d"] = "c2VjcmV0"
			return post(newAcct, acmetest.JWS{Protected: h("alg", "ES256", "jwk", m, "nonce", nonce, "url", newAcct), Payload: []byte(`{}`), Signer: f.other}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSPrivateJWK}, verify: decode.VerifyValid},
		{name: "fail/rsa-jwk-leading-zero", build: func(f *fixture) acmetest.Exchange {
			var m map[string]string
			_ = json.Unmarshal(f.rs256.JWK, &m)
			n, _ := decodeB64(m["n"])
			m["n"] = acmetest.B64(append([]byte{0}, n...))
			return post(newAcct, acmetest.JWS{Protected: h("alg", "RS256", "jwk", m, "nonce", nonce, "url", newAcct), Payload: []byte(`{}`), Signer: f.rs256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSLeadingZero}, verify: decode.VerifyValid},
		{name: "fail/symmetric-jwk", build: func(f *fixture) acmetest.Exchange {
			return post(newAcct, acmetest.JWS{Protected: h("alg", "ES256", "jwk", h("kty", "oct", "k", "c2VjcmV0c2VjcmV0"), "nonce", nonce, "url", newAcct), Payload: []byte(`{}`), Signer: f.other}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSPrivateJWK, decode.IssueJWSBadJWK}, verify: decode.VerifyNotChecked},
	}
}

func decodeB64(s string) ([]byte, error) {
	return base64URL.DecodeString(s)
}

func httpPayloadFaultCases() []faultCase {
	return []faultCase{
		{name: "fail/content-type-application-json", build: func(f *fixture) acmetest.Exchange {
			x := post(orderURL, f.es256.V2(orderURL, kid, nonce, nil))
			x.ReqHeaders = acmetest.Headers("User-Agent", "x", "Content-Type", "application/json")
			return x
		}, want: []decode.IssueCode{decode.IssueHTTPContentType}, verify: decode.VerifyValid},
		{name: "fail/missing-user-agent", build: func(f *fixture) acmetest.Exchange {
			x := post(orderURL, f.es256.V2(orderURL, kid, nonce, nil))
			x.ReqHeaders = acmetest.Headers("Content-Type", "application/jose+json")
			return x
		}, want: []decode.IssueCode{decode.IssueHTTPNoUserAgent}, verify: decode.VerifyValid},
		{name: "fail/replay-nonce-request-header", build: func(f *fixture) acmetest.Exchange {
			x := post(orderURL, f.es256.V2(orderURL, kid, nonce, nil))
			x.ReqHeaders = append(acmetest.ClientHeaders(), journal.Field{Name: "Replay-Nonce", Value: nonce})
			return x
		}, want: []decode.IssueCode{decode.IssueHTTPReplayNonce}, verify: decode.VerifyValid},
		{name: "fail/non-json-body", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, []byte("identifiers=example.com"))
		}, want: []decode.IssueCode{decode.IssueBodyNotJSON}},
		{name: "fail/post-without-body", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, nil)
		}, want: []decode.IssueCode{decode.IssueBodyMissing}},
		{name: "fail/post-as-get-with-payload-order", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, f.es256.V2(orderURL, kid, nonce, []byte(`{}`)))
		}, want: []decode.IssueCode{decode.IssuePayloadNotEmpty}, verify: decode.VerifyValid, op: decode.OpOrderPoll},
		{name: "fail/empty-object-to-authz", build: func(f *fixture) acmetest.Exchange {
			return post(authzURL, f.es256.V2(authzURL, kid, nonce, []byte(`{}`)))
		}, want: []decode.IssueCode{decode.IssuePayloadEmptyObjectAuthz}, verify: decode.VerifyValid, op: decode.OpAuthzFetch},
		{name: "fail/authz-status-valid", build: func(f *fixture) acmetest.Exchange {
			return post(authzURL, f.es256.V2(authzURL, kid, nonce, []byte(`{"status":"valid"}`)))
		}, want: []decode.IssueCode{decode.IssuePayloadBadAuthzStatus}, verify: decode.VerifyValid, op: decode.OpAuthzDeactivate},
		{name: "fail/key-authorization-in-v2-challenge", build: func(f *fixture) acmetest.Exchange {
			return post(challURL, f.es256.V2(challURL, kid, nonce, acmetest.JSON(map[string]string{"keyAuthorization": token + "." + f.es256.Thumbprint})))
		}, want: []decode.IssueCode{decode.IssuePayloadKeyAuthzV2}, verify: decode.VerifyValid, op: decode.OpChallengeTrigger},
		{name: "fail/resource-in-v2", build: func(f *fixture) acmetest.Exchange {
			return post(newOrder, f.es256.V2(newOrder, kid, nonce, []byte(`{"resource":"new-order","identifiers":[]}`)))
		}, want: []decode.IssueCode{decode.IssuePayloadResourceInV2}, verify: decode.VerifyValid},
		{name: "fail/payload-not-json", build: func(f *fixture) acmetest.Exchange {
			return post(newOrder, f.es256.V2(newOrder, kid, nonce, []byte(`identifiers`)))
		}, want: []decode.IssueCode{decode.IssuePayloadNotJSON}, verify: decode.VerifyValid},
		{name: "fail/csr-signed-with-account-key", build: func(f *fixture) acmetest.Exchange {
			csr := acmetest.CSR(f.es256.Key, acmetest.CSROptions{DNSNames: []string{"example.com"}})
			return post(finalURL, f.es256.V2(finalURL, kid, nonce, acmetest.JSON(map[string]string{"csr": acmetest.B64(csr)})))
		}, want: []decode.IssueCode{decode.IssueCSRAccountKey}, verify: decode.VerifyValid, op: decode.OpOrderFinalize},
		{name: "fail/csr-padded", build: func(f *fixture) acmetest.Exchange {
			var csr []byte
			for cn := "a"; len(csr)%3 == 0; cn += "a" { // until the DER needs padding
				csr = acmetest.CSR(f.other.Key, acmetest.CSROptions{CN: cn + ".example"})
			}
			enc := base64URLPadded.EncodeToString(csr)
			return post(finalURL, f.es256.V2(finalURL, kid, nonce, acmetest.JSON(map[string]string{"csr": enc})))
		}, want: []decode.IssueCode{decode.IssuePayloadPaddedBase64}, verify: decode.VerifyValid, op: decode.OpOrderFinalize},
	}
}

func eabKeyChangeFaultCases() []faultCase {
	eab := func(f *fixture, extra acmetest.Header, url string, payloadKey json.RawMessage) acmetest.Exchange {
		b := acmetest.HMAC([]byte("0123456789abcdef0123456789abcdef"), "kid-1", url, payloadKey, extra)
		return post(newAcct, f.other.V2(newAcct, "", nonce, acmetest.JSON(map[string]any{"externalAccountBinding": b})))
	}
	keyChange := func(f *fixture, hd acmetest.Header, inner map[string]any, bad bool) acmetest.Exchange {
		ku := pb + "/rollover-account-key"
		if hd == nil {
			hd = h("alg", "RS256", "jwk", f.rs256.JWK, "url", ku)
		}
		if inner == nil {
			inner = map[string]any{"account": kid, "oldKey": f.es256.JWK}
		}
		in := acmetest.JWS{Protected: hd, Payload: acmetest.JSON(inner), Signer: f.rs256, BadSignature: bad}.Body()
		return post(ku, f.es256.V2(ku, kid, nonce, in))
	}
	return []faultCase{
		{name: "fail/eab-nonce", build: func(f *fixture) acmetest.Exchange { return eab(f, h("nonce", nonce), newAcct, f.other.JWK) },
			want: []decode.IssueCode{decode.IssueEABNonce}, verify: decode.VerifyValid},
		{name: "fail/eab-without-kid", build: func(f *fixture) acmetest.Exchange { return eab(f, h("kid", nil), newAcct, f.other.JWK) },
			want: []decode.IssueCode{decode.IssueEABMalformed, decode.IssueEABMissingKid}, verify: decode.VerifyValid},
		{name: "fail/eab-alg-not-mac", build: func(f *fixture) acmetest.Exchange { return eab(f, h("alg", "ES256"), newAcct, f.other.JWK) },
			want: []decode.IssueCode{decode.IssueEABAlgNotMAC}, verify: decode.VerifyValid},
		{name: "fail/eab-url-mismatch", build: func(f *fixture) acmetest.Exchange { return eab(f, nil, pb+"/elsewhere", f.other.JWK) },
			want: []decode.IssueCode{decode.IssueEABURLMismatch}, verify: decode.VerifyValid},
		{name: "fail/eab-payload-not-account-key", build: func(f *fixture) acmetest.Exchange { return eab(f, nil, newAcct, f.es256.JWK) },
			want: []decode.IssueCode{decode.IssueEABPayloadKey}, verify: decode.VerifyValid},
		{name: "ok/key-change", build: func(f *fixture) acmetest.Exchange { return keyChange(f, nil, nil, false) },
			verify: decode.VerifyValid, op: decode.OpKeyChange},
		{name: "fail/key-change-inner-bad-signature", build: func(f *fixture) acmetest.Exchange { return keyChange(f, nil, nil, true) },
			want: []decode.IssueCode{decode.IssueKeyChangeBadSignature}, verify: decode.VerifyValid},
		{name: "fail/key-change-inner-nonce-and-url", build: func(f *fixture) acmetest.Exchange {
			return keyChange(f, h("alg", "RS256", "jwk", f.rs256.JWK, "nonce", nonce, "url", newOrder), nil, false)
		}, want: []decode.IssueCode{decode.IssueKeyChangeNonce, decode.IssueKeyChangeURL}, verify: decode.VerifyValid},
		{name: "fail/key-change-old-key-and-account", build: func(f *fixture) acmetest.Exchange {
			return keyChange(f, nil, map[string]any{"account": pb + "/my-account/2", "oldKey": f.other.JWK}, false)
		}, want: []decode.IssueCode{decode.IssueKeyChangeAccount, decode.IssueKeyChangeOldKey}, verify: decode.VerifyValid},
	}
}

func v1FaultCases() []faultCase {
	v1 := func(f *fixture, url string, payload string, unprotected bool) acmetest.Exchange {
		return post(url, f.rs256.V1(nonce, []byte(payload), unprotected))
	}
	return []faultCase{
		{name: "fail/v1-resource-mismatch", dialect: "v1", build: func(f *fixture) acmetest.Exchange {
			return v1(f, v1b+"/acme/new-authz", `{"resource":"new-reg","identifier":{"type":"dns","value":"a.example"}}`, false)
		}, want: []decode.IssueCode{decode.IssuePayloadResourceMismatch}, verify: decode.VerifyValid, op: decode.OpAuthzCreate},
		{name: "fail/v1-resource-missing", dialect: "v1", build: func(f *fixture) acmetest.Exchange {
			return v1(f, v1b+"/acme/new-cert", `{"csr":""}`, false)
		}, want: []decode.IssueCode{decode.IssuePayloadResourceMissing, decode.IssuePayloadMissingField}, verify: decode.VerifyValid, op: decode.OpCertIssue},
		{name: "fail/v1-kid", dialect: "v1", build: func(f *fixture) acmetest.Exchange {
			return post(v1b+"/acme/new-authz", acmetest.JWS{Protected: h("alg", "RS256", "jwk", f.rs256.JWK, "kid", "1", "nonce", nonce),
				Payload: []byte(`{"resource":"new-authz"}`), Signer: f.rs256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSJWKAndKid, decode.IssueJWSKidInV1}, verify: decode.VerifyValid},
		{name: "fail/v1-missing-jwk", dialect: "v1", build: func(f *fixture) acmetest.Exchange {
			return post(v1b+"/acme/new-authz", acmetest.JWS{Protected: h("alg", "RS256", "nonce", nonce),
				Payload: []byte(`{"resource":"new-authz"}`), Signer: f.rs256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSMissingKey}, verify: decode.VerifyNotChecked},
		{name: "fail/v1-nonce-only-unprotected", dialect: "v1", build: func(f *fixture) acmetest.Exchange {
			return post(v1b+"/acme/new-authz", acmetest.JWS{Protected: h("alg", "RS256", "jwk", f.rs256.JWK),
				Unprotected: h("nonce", nonce), Payload: []byte(`{"resource":"new-authz"}`), Signer: f.rs256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSNonceUnprotected}, verify: decode.VerifyValid},
		{name: "fail/v1-key-authorization-mismatch", dialect: "v1", build: func(f *fixture) acmetest.Exchange {
			return v1(f, v1b+"/acme/challenge/A/1", `{"resource":"challenge","keyAuthorization":"`+token+`.wrong"}`, false)
		}, want: []decode.IssueCode{decode.IssuePayloadKeyAuthzWrong}, verify: decode.VerifyValid, op: decode.OpChallengeTrigger},
		{name: "fail/v1-authz-post-without-status", dialect: "v1", build: func(f *fixture) acmetest.Exchange {
			return v1(f, v1b+"/acme/authz/A", `{"resource":"authz"}`, false)
		}, want: []decode.IssueCode{decode.IssuePayloadBadAuthzStatus}, verify: decode.VerifyValid, op: decode.OpAuthzFetch},
	}
}

func truncationCases() []faultCase {
	return []faultCase{
		{name: "fail/truncated-request-body-not-verified", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, f.es256.V2(orderURL, kid, nonce, nil))
		}, want: []decode.IssueCode{decode.IssueBodyTruncated}, verify: decode.VerifyTruncated},
	}
}

func TestProtocolFaults(t *testing.T) {
	f := newFixture(t)
	var cases []faultCase
	for _, group := range [][]faultCase{okCases(), jwsFaultCases(), jwsHeaderCases(), jwsEncodingCases(), httpPayloadFaultCases(), eabKeyChangeFaultCases(), v1FaultCases()} {
		cases = append(cases, group...)
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("duplicate case %s", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			m := f.decodeAfter(tc.dialect, tc.build(f))
			assertCase(t, tc, m)
		})
	}
}

// TestTruncatedBodyIsNotABadSignature cuts a signed body as the recorder's
// cap would: the decoder must say "truncated, not verified" and never
// report a bad signature.
func TestTruncatedBodyIsNotABadSignature(t *testing.T) {
	f := newFixture(t)
	for _, tc := range truncationCases() {
		t.Run(tc.name, func(t *testing.T) {
			x := tc.build(f)
			d := decode.NewDecoder()
			for i, p := range f.v2Prelude {
				d.Decode(p.Build(uint64(i+1), acmetest.NewFlow().Base))
			}
			e := x.Build(99, acmetest.NewFlow().Base)
			e.Request.Body.Data = e.Request.Body.Data[:len(e.Request.Body.Data)/2]
			e.Request.Body.Truncated = true
			m := d.Decode(e)
			assertCase(t, tc, m)
			if m.JWS.VerificationDetail != "truncated, not verified" {
				t.Errorf("detail %q", m.JWS.VerificationDetail)
			}
			if m.Operation != decode.OpOrderPoll {
				t.Errorf("operation %s, want order.poll from the URL alone", m.Operation)
			}
		})
	}
}

func assertCase(t *testing.T, tc faultCase, m *decode.Message) {
	t.Helper()
	got := issueCodes(m)
	want := slices.Clone(tc.want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("issues = %v, want %v\n%v", got, want, m.Issues)
	}
	if tc.verify != "" {
		if m.JWS == nil {
			t.Fatalf("no JWS decoded, want verification %s", tc.verify)
		}
		if m.JWS.Verification != tc.verify {
			t.Errorf("verification = %s (%s), want %s", m.JWS.Verification, m.JWS.VerificationDetail, tc.verify)
		}
	}
	if tc.op != "" && m.Operation != tc.op {
		t.Errorf("operation = %s, want %s", m.Operation, tc.op)
	}
	if tc.check != nil {
		tc.check(t, m)
	}
}
