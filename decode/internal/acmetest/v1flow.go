package acmetest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
)

// BoulderV1Base is the origin of the constructed Boulder v1 server.
const BoulderV1Base = "https://acme-v01.test"

// TermsURL is the constructed v1 terms of service.
const TermsURL = "https://letsencrypt.test/documents/LE-SA-v1.2-November-15-2017.pdf"

// V1 is a constructed Boulder v1 conversation in acme-tiny's style
// (acme-reference.md §4.5): directory, new-reg, new-authz, self-check,
// challenge POST with keyAuthorization, challenge and authorization polls,
// new-cert, issuer and certificate download, reg fetch, a second new-reg
// answered 409, a rate-limited new-authz, deactivation, revocation, key
// change and the terms redirect.
type V1 struct {
	*Flow
	Account, NewKey *Signer
	CertKey         crypto.Signer
	CA              *CA
	leaf            []byte
}

// NewV1 builds the whole conversation.
func NewV1() *V1 {
	certKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	v := &V1{Flow: NewFlow(), Account: NewSigner("RS256"), NewKey: NewSigner("RS256"), CertKey: certKey,
		CA: NewCA("Fake LE Intermediate X1")}
	v.directory()
	v.register()
	v.authorize()
	v.issue()
	v.extras()
	return v
}

func (v *V1) nonced(url string, status int, ct string, body []byte, h ...string) {
	v.Get(url, status, ct, body, append([]string{"Replay-Nonce", v.Nonce()}, h...)...)
}

func (v *V1) directory() {
	v.nonced(BoulderV1Base+"/directory", 200, "application/json", JSON(map[string]any{
		"new-reg": BoulderV1Base + "/acme/new-reg", "new-authz": BoulderV1Base + "/acme/new-authz",
		"new-cert": BoulderV1Base + "/acme/new-cert", "revoke-cert": BoulderV1Base + "/acme/revoke-cert",
		"key-change": BoulderV1Base + "/acme/key-change", "qZ3rT9xWm0c": "https://community.letsencrypt.org/t/adding-random-entries-to-the-directory/33417",
		"meta": map[string]any{"terms-of-service": TermsURL, "caaIdentities": []string{"letsencrypt.org"}, "website": "https://letsencrypt.test"},
	}))
}

func (v *V1) reg(status int) {
	u := BoulderV1Base + "/acme/new-reg"
	body := v.Account.V1(v.Nonce(), JSON(map[string]any{"resource": "new-reg", "agreement": TermsURL}), true)
	if status == 409 {
		v.Post(u, body, 409, JSON(map[string]any{"type": "urn:acme:error:malformed", "detail": "Registration key is already in use", "status": 409}),
			"Location", BoulderV1Base+"/acme/reg/1")
		return
	}
	v.Post(u, body, 201, JSON(map[string]any{"id": 1, "key": v.Account.JWK, "agreement": TermsURL, "initialIp": "198.51.100.7",
		"createdAt": "2026-09-01T12:00:01Z", "status": "valid"}),
		"Location", BoulderV1Base+"/acme/reg/1", "Link", "<"+BoulderV1Base+"/acme/new-authz>;rel=\"next\"",
		"Link", "<"+TermsURL+">;rel=\"terms-of-service\"", "Boulder-Requester", "1")
}

func (v *V1) register() {
	v.directory() // acme-tiny fetched the directory again only for its Replay-Nonce
	v.reg(201)
}

const v1Token = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"

func (v *V1) authzBody(status, chStatus string) []byte {
	return JSON(map[string]any{"identifier": map[string]string{"type": "dns", "value": "example.com"}, "status": status,
		"expires": "2026-09-08T12:00:00Z", "combinations": [][]int{{0}, {1}},
		"challenges": []map[string]string{
			{"type": "http-01", "status": chStatus, "token": v1Token, "uri": BoulderV1Base + "/acme/challenge/AUTHZ1/1"},
			{"type": "dns-01", "status": "pending", "token": v1Token, "uri": BoulderV1Base + "/acme/challenge/AUTHZ1/2"}}})
}

func (v *V1) authorize() {
	au, cu := BoulderV1Base+"/acme/authz/AUTHZ1", BoulderV1Base+"/acme/challenge/AUTHZ1/1"
	v.Post(BoulderV1Base+"/acme/new-authz", v.Account.V1(v.Nonce(), JSON(map[string]any{"resource": "new-authz",
		"identifier": map[string]string{"type": "dns", "value": "example.com"}}), true),
		201, v.authzBody("pending", "pending"), "Location", au, "Link", "<"+BoulderV1Base+"/acme/new-cert>;rel=\"next\"")
	keyAuth := v1Token + "." + v.Account.Thumbprint
	v.Get("http://example.com/.well-known/acme-challenge/"+v1Token, 200, "", []byte(keyAuth))
	chall := func(status string) []byte {
		return JSON(map[string]string{"type": "http-01", "status": status, "uri": cu, "token": v1Token, "keyAuthorization": keyAuth})
	}
	v.Post(cu, v.Account.V1(v.Nonce(), JSON(map[string]string{"resource": "challenge", "type": "http-01", "keyAuthorization": keyAuth}), true),
		202, chall("pending"), "Location", cu, "Link", "<"+au+">;rel=\"up\"")
	v.nonced(cu, 202, "application/json", chall("valid"), "Location", cu, "Link", "<"+au+">;rel=\"up\"")
	v.nonced(au, 200, "application/json", v.authzBody("valid", "valid"), "Link", "<"+BoulderV1Base+"/acme/new-cert>;rel=\"next\"")
}

func (v *V1) issue() {
	csr := CSR(v.CertKey, CSROptions{CN: "example.com", MustStaple: true})
	v.leaf = v.CA.Issue(v.CertKey.Public(), []string{"example.com"}, v.Base)
	serial := "0000000000000000000000000000000000" + "01"
	certURL := BoulderV1Base + "/acme/cert/" + serial
	v.Add(Exchange{Method: "POST", URL: BoulderV1Base + "/acme/new-cert", ReqHeaders: Headers("User-Agent", "acme-tiny", "Content-Type", "application/json"),
		ReqBody: v.Account.V1(v.Nonce(), JSON(map[string]string{"resource": "new-cert", "csr": B64(csr)}), true),
		Status:  201, RespBody: v.leaf, RespHeader: Headers("Content-Type", "application/pkix-cert", "Replay-Nonce", v.Nonce(),
			"Location", certURL, "Link", "<"+BoulderV1Base+"/acme/issuer-cert>;rel=\"up\"")})
	v.nonced(BoulderV1Base+"/acme/issuer-cert", 200, "application/pkix-cert", v.CA.DER)
	v.nonced(certURL, 200, "application/pkix-cert", v.leaf, "Link", "<"+BoulderV1Base+"/acme/issuer-cert>;rel=\"up\"")
}

func (v *V1) extras() {
	regURL := BoulderV1Base + "/acme/reg/1"
	v.Post(regURL, v.Account.V1(v.Nonce(), JSON(map[string]string{"resource": "reg"}), false), 202,
		JSON(map[string]any{"id": 1, "key": v.Account.JWK, "agreement": TermsURL, "status": "valid"}))
	v.reg(409)
	v.Post(BoulderV1Base+"/acme/new-authz", v.Account.V1(v.Nonce(), JSON(map[string]any{"resource": "new-authz",
		"identifier": map[string]string{"type": "dns", "value": "rate.example.com"}}), false),
		429, JSON(map[string]any{"type": "urn:acme:error:rateLimited", "detail": "Error creating new authz :: too many currently pending authorizations", "status": 429}))
	v.Post(BoulderV1Base+"/acme/authz/AUTHZ1", v.Account.V1(v.Nonce(), JSON(map[string]string{"resource": "authz", "status": "deactivated"}), false),
		200, v.authzBody("deactivated", "valid"))
	v.Post(BoulderV1Base+"/acme/revoke-cert", v.Account.V1(v.Nonce(), JSON(map[string]any{"resource": "revoke-cert", "certificate": B64(v.leaf)}), false), 200, nil)
	inner := JWS{Protected: Header{"alg": v.NewKey.Alg, "jwk": v.NewKey.JWK},
		Payload: JSON(map[string]any{"account": regURL, "newKey": v.NewKey.JWK}), Signer: v.NewKey}.Body()
	outer := strings.TrimSuffix(string(inner), "}") + `,"resource":"key-change"}`
	v.Post(BoulderV1Base+"/acme/key-change", v.Account.V1(v.Nonce(), []byte(outer), false), 200,
		JSON(map[string]any{"id": 1, "key": v.NewKey.JWK, "status": "valid"}))
	v.Get(BoulderV1Base+"/terms", 302, "text/html", nil, "Location", TermsURL)
}
