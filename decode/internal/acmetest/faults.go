package acmetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
)

// Faults is a constructed v2 conversation with Pebble's paths in which the
// client makes one classic mistake after another (acme-reference.md §11,
// B6, B9–B13, B18, B19) and the server answers each with the problem
// Pebble or Boulder would send.
type Faults struct {
	*Flow
	Account *Signer
	kid     string
}

// NewFaults builds the whole conversation.
func NewFaults() *Faults {
	v := &Faults{Flow: NewFlow(), Account: NewSigner("ES256"), kid: PebbleBase + "/my-account/7"}
	v.Get(PebbleBase+"/dir", 200, "application/json", JSON(map[string]any{
		"newNonce": PebbleBase + "/nonce-plz", "newAccount": PebbleBase + "/sign-me-up", "newOrder": PebbleBase + "/order-plz",
		"revokeCert": PebbleBase + "/revoke-cert", "keyChange": PebbleBase + "/rollover-account-key"}))
	v.accountFaults()
	v.orderFaults()
	v.authzFaults()
	v.finalizeFaults()
	return v
}

func (v *Faults) malformed(detail string) []byte {
	return JSON(map[string]any{"type": "urn:ietf:params:acme:error:malformed", "detail": detail, "status": 400})
}

func (v *Faults) accountFaults() {
	u := PebbleBase + "/sign-me-up"
	v.Post(u, v.Account.V2(u, v.kid, v.Nonce(), []byte(`{"termsOfServiceAgreed":true}`)), 400, v.malformed("No embedded JWK in JWS header"))
	v.Post(u, JWS{Protected: Header{"alg": "ES256", "jwk": v.Account.JWK, "url": u}, Payload: []byte(`{"termsOfServiceAgreed":true}`), Signer: v.Account}.Body(),
		400, JSON(map[string]any{"type": "urn:ietf:params:acme:error:badNonce", "detail": "JWS has no anti-replay nonce", "status": 400}))
	v.Post(u, v.Account.V2(u, "", v.Nonce(), []byte(`{"termsOfServiceAgreed":true}`)), 201, []byte(`{"status":"valid"}`), "Location", v.kid)
}

func (v *Faults) orderFaults() {
	u := PebbleBase + "/order-plz"
	ids := []byte(`{"identifiers":[{"type":"dns","value":"example.com"}]}`)
	v.Post(u, v.Account.V2(u, "", v.Nonce(), ids), 400, v.malformed("No Key ID in JWS header"))
	v.Post(u, v.Account.V2(u+"/", v.kid, v.Nonce(), ids), 400, v.malformed("JWS header parameter 'url' incorrect"))
	padded := []byte(`{"identifiers":[{"type":"dns","value":"example.com"}] }`) // 55 bytes: base64 needs padding
	v.Post(u, JWS{Protected: Header{"alg": "ES256", "kid": v.kid, "nonce": v.Nonce(), "url": u}, Payload: padded, PadPayload: true, Signer: v.Account}.Body(),
		400, v.malformed("JWS has padded base64"))
	v.Post(u, JWS{Protected: Header{"alg": "RS256", "kid": v.kid, "nonce": v.Nonce(), "url": u}, Payload: ids, Signer: v.Account}.Body(),
		400, JSON(map[string]any{"type": "urn:ietf:params:acme:error:badSignatureAlgorithm", "detail": "JWS signature algorithm mismatch",
			"status": 400, "algorithms": []string{"RS256", "ES256", "ES384", "ES512"}}))
	v.Post(u, JWS{Protected: Header{"alg": "ES256", "kid": v.kid, "nonce": v.Nonce(), "url": u}, Unprotected: Header{"alg": "ES256"}, Payload: ids, Signer: v.Account}.Body(),
		400, v.malformed("JWS \"header\" field not allowed"))
	x := Exchange{Method: "POST", URL: u, ReqHeaders: Headers("Content-Type", "application/json", "Replay-Nonce", "cmVwbGF5"),
		ReqBody: v.Account.V2(u, v.kid, v.Nonce(), ids), Status: 415,
		RespHeader: Headers("Content-Type", "application/problem+json", "Replay-Nonce", v.Nonce()), RespBody: v.malformed("Request Content-Type was not application/jose+json")}
	v.Add(x)
	v.Post(u, v.Account.V2(u, v.kid, v.Nonce(), ids), 201, JSON(map[string]any{"status": "pending",
		"identifiers": []map[string]string{{"type": "dns", "value": "example.com"}}, "authorizations": []string{PebbleBase + "/authZ/f1"},
		"finalize": PebbleBase + "/finalize-order/f1"}), "Location", PebbleBase+"/my-order/f1")
}

func (v *Faults) authzFaults() {
	au, cu := PebbleBase+"/authZ/f1", PebbleBase+"/chalZ/f1h"
	tok := "ftokftokftokftokftokftokftokftokftokftokfto"
	v.Get(au, 405, "application/problem+json", v.malformed("Method not allowed"))
	v.Post(au, v.Account.V2(au, v.kid, v.Nonce(), []byte(`{}`)), 400, v.malformed("Invalid status value"))
	v.Post(au, v.Account.V2(au, v.kid, v.Nonce(), nil), 200, JSON(map[string]any{"status": "pending",
		"identifier": map[string]string{"type": "dns", "value": "example.com"},
		"challenges": []map[string]string{{"type": "http-01", "url": cu, "token": tok, "status": "pending"}}}))
	v.Post(cu, v.Account.V2(cu, v.kid, v.Nonce(), JSON(map[string]string{"keyAuthorization": tok + "." + v.Account.Thumbprint})),
		400, v.malformed("keyAuthorization field is no longer supported"))
	v.Post(cu, JWS{Protected: Header{"alg": "ES256", "kid": v.kid, "nonce": v.Nonce(), "url": cu}, Payload: []byte(`{}`), Signer: v.Account, DER: true}.Body(),
		400, v.malformed("JWS verification error"))
	v.Post(cu, v.Account.V2(cu, v.kid, v.Nonce(), []byte(`{}`)), 200,
		JSON(map[string]string{"type": "http-01", "url": cu, "token": tok, "status": "processing"}), "Link", "<"+au+">;rel=\"up\"")
	body := v.Account.V2(au, v.kid, v.Nonce(), nil)
	v.Add(Exchange{Method: "POST", URL: au, ReqHeaders: ClientHeaders(), ReqBody: body, TruncateRequest: len(body) / 2,
		Status: 200, RespHeader: Headers("Content-Type", "application/json"), RespBody: []byte(`{"status":"valid","identifier":{"type":"dns","value":"example.com"},"challenges":[]}`)})
}

func (v *Faults) finalizeFaults() {
	fu := PebbleBase + "/finalize-order/f1"
	csr := CSR(v.Account.Key, CSROptions{DNSNames: []string{"example.com"}})
	v.Post(fu, v.Account.V2(fu, v.kid, v.Nonce(), JSON(map[string]string{"csr": B64(csr)})), 400,
		JSON(map[string]any{"type": "urn:ietf:params:acme:error:badCSR", "detail": "CSR contains a public key for a known account", "status": 400}))
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	csr = CSR(k, CSROptions{CN: "WWW.Example.com", DNSNames: []string{"example.com"}, MustStaple: true})
	v.Post(fu, v.Account.V2(fu, v.kid, v.Nonce(), JSON(map[string]string{"csr": B64(csr)})), 403,
		JSON(map[string]any{"type": "urn:ietf:params:acme:error:unauthorized", "detail": "CSR is missing Order domain www.example.com", "status": 403}))
	ou := PebbleBase + "/my-order/f1"
	v.Post(ou, v.Account.V2(ou, v.kid, v.Nonce(), []byte(`{}`)), 400, v.malformed("POST-as-GET requests must have an empty payload"))
}
