package acmetest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strings"
)

// PebbleBase is the origin of the constructed Pebble server.
const PebbleBase = "https://pebble.test:14000"

// V2 is a constructed RFC 8555 conversation with Pebble's odd paths
// (acme-reference.md §3.2, §5.1): account, order for two names, both
// authorizations validated over http-01 with one client self-check, a
// badNonce retry, finalize, poll, download, renewalInfo, account update,
// key rollover, revocation, an authorization deactivation, an orders list
// and an account deactivation.
type V2 struct {
	*Flow
	Account, NewKey *Signer
	CertKey         crypto.Signer
	CA              *CA
	kid             string
	leaf            []byte
}

// NewV2 builds the whole conversation.
func NewV2() *V2 {
	certKey, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	v := &V2{Flow: NewFlow(), Account: NewSigner("ES256"), NewKey: NewSigner("RS256"),
		CertKey: certKey, CA: NewCA("Pebble Intermediate CA constructed"), kid: PebbleBase + "/my-account/1"}
	v.directory()
	v.account()
	v.order()
	v.authz("a1", "c1", "example.com", "tok1tok1tok1tok1tok1tok1tok1tok1tok1tok1tok", true)
	v.authz("a2", "c2", "www.example.com", "tok2tok2tok2tok2tok2tok2tok2tok2tok2tok2tok", false)
	v.finalize()
	v.extras()
	return v
}

func (v *V2) directory() {
	v.Get(PebbleBase+"/dir", 200, "application/json", JSON(map[string]any{
		"newNonce": PebbleBase + "/nonce-plz", "newAccount": PebbleBase + "/sign-me-up",
		"newOrder": PebbleBase + "/order-plz", "revokeCert": PebbleBase + "/revoke-cert",
		"keyChange": PebbleBase + "/rollover-account-key", "renewalInfo": PebbleBase + "/draft-ietf-acme-ari-03/renewalInfo",
		"meta": map[string]any{"termsOfService": "data:text/plain,Do%20what%20thou%20wilt",
			"externalAccountRequired": false, "profiles": map[string]string{"default": "The profile you know and love"}},
	}))
	v.Add(Exchange{Method: "HEAD", URL: PebbleBase + "/nonce-plz", ReqHeaders: Headers("User-Agent", "acmetest/1.0"),
		Status: 200, RespHeader: Headers("Replay-Nonce", v.Nonce(), "Cache-Control", "public, max-age=0, no-cache", "Link", "<"+PebbleBase+"/dir>;rel=\"index\"")})
}

func (v *V2) account() {
	u := PebbleBase + "/sign-me-up"
	v.Post(u, v.Account.V2(u, "", v.Nonce(), JSON(map[string]any{"termsOfServiceAgreed": true, "contact": []string{"mailto:admin@example.com"}})),
		201, JSON(map[string]any{"status": "valid", "contact": []string{"mailto:admin@example.com"}, "orders": PebbleBase + "/list-orderz/1"}),
		"Location", v.kid, "Link", "<"+PebbleBase+"/dir>;rel=\"index\"")
}

func (v *V2) order() {
	u := PebbleBase + "/order-plz"
	ids := []map[string]string{{"type": "dns", "value": "example.com"}, {"type": "dns", "value": "www.example.com"}}
	v.Post(u, v.Account.GoJose(u, v.kid, v.Nonce(), JSON(map[string]any{"identifiers": ids})),
		201, JSON(map[string]any{"status": "pending", "expires": "2026-09-02T12:00:00Z", "identifiers": ids,
			"authorizations": []string{PebbleBase + "/authZ/a1", PebbleBase + "/authZ/a2"},
			"finalize":       PebbleBase + "/finalize-order/o1"}),
		"Location", PebbleBase+"/my-order/o1")
}

func (v *V2) authzBody(id, name, token, status, chStatus string) []byte {
	return JSON(map[string]any{"status": status, "identifier": map[string]string{"type": "dns", "value": name},
		"expires": "2026-09-01T13:00:00Z", "challenges": []map[string]string{
			{"type": "http-01", "url": PebbleBase + "/chalZ/" + id + "h", "token": token, "status": chStatus},
			{"type": "dns-01", "url": PebbleBase + "/chalZ/" + id + "d", "token": token, "status": "pending"}}})
}

// authz fetches, self-checks (optionally), triggers and polls one
// authorization.
func (v *V2) authz(id, _ string, name, token string, selfCheck bool) {
	au := PebbleBase + "/authZ/" + id
	cu := PebbleBase + "/chalZ/" + id + "h"
	v.Post(au, v.Account.V2(au, v.kid, v.Nonce(), nil), 200, v.authzBody(id, name, token, "pending", "pending"))
	if selfCheck {
		v.Get("http://"+name+"/.well-known/acme-challenge/"+token, 200, "text/plain", []byte(token+"."+v.Account.Thumbprint+"\n"))
	} else {
		// a stale nonce first: badNonce, then the retry with the fresh one
		v.Post(cu, v.Account.V2(cu, v.kid, "c3RhbGVub25jZQ", []byte("{}")), 400,
			JSON(map[string]any{"type": "urn:ietf:params:acme:error:badNonce", "detail": "JWS has an invalid anti-replay nonce", "status": 400}))
	}
	v.Post(cu, v.Account.V2(cu, v.kid, v.Nonce(), []byte("{}")), 200,
		JSON(map[string]string{"type": "http-01", "url": cu, "token": token, "status": "processing"}),
		"Link", "<"+au+">;rel=\"up\"", "Location", cu)
	v.Post(au, v.Account.V2(au, v.kid, v.Nonce(), nil), 200, v.authzBody(id, name, token, "valid", "valid"))
}

func (v *V2) finalize() {
	fu, ou := PebbleBase+"/finalize-order/o1", PebbleBase+"/my-order/o1"
	csr := CSR(v.CertKey, CSROptions{CN: "Example.com", DNSNames: []string{"example.com", "WWW.example.com", "example.com"}})
	order := func(status, cert string) []byte {
		o := map[string]any{"status": status, "expires": "2026-09-02T12:00:00Z",
			"identifiers":    []map[string]string{{"type": "dns", "value": "example.com"}, {"type": "dns", "value": "www.example.com"}},
			"authorizations": []string{PebbleBase + "/authZ/a1", PebbleBase + "/authZ/a2"}, "finalize": fu}
		if cert != "" {
			o["certificate"] = cert
		}
		return JSON(o)
	}
	v.Post(fu, v.Account.V2(fu, v.kid, v.Nonce(), JSON(map[string]string{"csr": B64(csr)})), 200,
		order("processing", ""), "Location", ou, "Retry-After", "3")
	cu := PebbleBase + "/certZ/s1"
	v.Post(ou, v.Account.V2(ou, v.kid, v.Nonce(), nil), 200, order("valid", cu), "Location", ou)
	v.leaf = v.CA.Issue(v.CertKey.Public(), []string{"example.com", "www.example.com"}, v.Base)
	v.Add(Exchange{Method: "POST", URL: cu, ReqHeaders: ClientHeaders(), ReqBody: v.Account.V2(cu, v.kid, v.Nonce(), nil),
		Status: 200, RespBody: v.CA.PEMChain(v.leaf), RespHeader: Headers("Content-Type", "application/pem-certificate-chain",
			"Replay-Nonce", v.Nonce(), "Link", "<"+cu+"/alternate/1>;rel=\"alternate\"", "Link", "<"+PebbleBase+"/dir>;rel=\"index\"")})
}

// extras covers the remaining operations.
func (v *V2) extras() {
	certID := strings.TrimRight(base64.RawURLEncoding.EncodeToString([]byte("aki-of-the-ca")), "=") + ".AwAAAAAAAQ"
	v.Get(PebbleBase+"/draft-ietf-acme-ari-03/renewalInfo/"+certID, 200, "application/json",
		JSON(map[string]any{"suggestedWindow": map[string]string{"start": "2026-10-31T00:00:00Z", "end": "2026-11-02T00:00:00Z"}}),
		"Retry-After", "21600")
	v.Post(v.kid, v.Account.V2(v.kid, v.kid, v.Nonce(), JSON(map[string]any{"contact": []string{"mailto:ops@example.com"}})),
		200, JSON(map[string]any{"status": "valid", "contact": []string{"mailto:ops@example.com"}, "orders": PebbleBase + "/list-orderz/1"}))
	ku := PebbleBase + "/rollover-account-key"
	inner := JWS{Protected: Header{"alg": v.NewKey.Alg, "jwk": v.NewKey.JWK, "url": ku},
		Payload: JSON(map[string]any{"account": v.kid, "oldKey": v.Account.JWK}), Signer: v.NewKey}.Body()
	v.Post(ku, v.Account.V2(ku, v.kid, v.Nonce(), inner), 200, JSON(map[string]any{"status": "valid"}))
	ru := PebbleBase + "/revoke-cert"
	v.Post(ru, v.NewKey.V2(ru, v.kid, v.Nonce(), JSON(map[string]any{"certificate": B64(v.leaf), "reason": 4})), 200, nil)
	au := PebbleBase + "/authZ/a2"
	v.Post(au, v.NewKey.V2(au, v.kid, v.Nonce(), JSON(map[string]string{"status": "deactivated"})), 200,
		v.authzBody("a2", "www.example.com", "tok2tok2tok2tok2tok2tok2tok2tok2tok2tok2tok", "deactivated", "valid"))
	lu := PebbleBase + "/list-orderz/1"
	v.Post(lu, v.NewKey.V2(lu, v.kid, v.Nonce(), nil), 200, JSON(map[string]any{"orders": []string{PebbleBase + "/my-order/o1"}}))
	nu := PebbleBase + "/sign-me-up"
	v.Post(nu, v.NewKey.V2(nu, "", v.Nonce(), JSON(map[string]any{"onlyReturnExisting": true})), 200,
		JSON(map[string]any{"status": "valid"}), "Location", v.kid)
	v.Post(v.kid, v.NewKey.V2(v.kid, v.kid, v.Nonce(), JSON(map[string]string{"status": "deactivated"})), 200,
		JSON(map[string]any{"status": "deactivated"}))
}
