package decode_test

import (
	"encoding/base64"
	"slices"
	"sort"
	"testing"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/decode/internal/acmetest"
	"github.com/acmeproxy/acmeproxy/journal"
)

// Constructed servers of the tests: a Pebble-like v2 server and a Boulder
// v1 server (acmetest.PebbleBase, acmetest.BoulderV1Base).
const (
	pb       = acmetest.PebbleBase
	v1b      = acmetest.BoulderV1Base
	kid      = pb + "/my-account/1"
	newOrder = pb + "/order-plz"
	newAcct  = pb + "/sign-me-up"
	authzURL = pb + "/authZ/a1"
	challURL = pb + "/chalZ/c1"
	orderURL = pb + "/my-order/o1"
	finalURL = pb + "/finalize-order/o1"
	token    = "tok1tok1tok1tok1tok1tok1tok1tok1tok1tok1tok"
	nonce    = "bm9uY2Vub25jZQ"
)

// fixture holds keys and a prelude of exchanges (directory, account
// creation, order, authorization) that a fresh Decoder replays before the
// exchange under test, so that the test exchange is decoded with the
// knowledge a real recording would have given.
type fixture struct {
	es256, rs256, other *acmetest.Signer
	v2Prelude           []acmetest.Exchange
	v1Prelude           []acmetest.Exchange
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{es256: acmetest.NewSigner("ES256"), rs256: acmetest.NewSigner("RS256"), other: acmetest.NewSigner("ES256")}
	f.v2Prelude = f.buildV2Prelude()
	f.v1Prelude = f.buildV1Prelude()
	return f
}

func (f *fixture) buildV2Prelude() []acmetest.Exchange {
	fl := acmetest.NewFlow()
	fl.Get(pb+"/dir", 200, "application/json", acmetest.JSON(map[string]any{
		"newNonce": pb + "/nonce-plz", "newAccount": newAcct, "newOrder": newOrder,
		"revokeCert": pb + "/revoke-cert", "keyChange": pb + "/rollover-account-key",
		"meta": map[string]any{"externalAccountRequired": false}}))
	fl.Post(newAcct, f.es256.V2(newAcct, "", nonce, []byte(`{"termsOfServiceAgreed":true}`)), 201,
		[]byte(`{"status":"valid"}`), "Location", kid)
	fl.Post(newOrder, f.es256.V2(newOrder, kid, nonce, []byte(`{"identifiers":[{"type":"dns","value":"example.com"}]}`)), 201,
		acmetest.JSON(map[string]any{"status": "pending", "identifiers": []map[string]string{{"type": "dns", "value": "example.com"}},
			"authorizations": []string{authzURL}, "finalize": finalURL}), "Location", orderURL)
	fl.Post(authzURL, f.es256.V2(authzURL, kid, nonce, nil), 200, acmetest.JSON(map[string]any{
		"status": "pending", "identifier": map[string]string{"type": "dns", "value": "example.com"},
		"challenges": []map[string]string{{"type": "http-01", "url": challURL, "token": token, "status": "pending"}}}))
	return exchangesOf(fl)
}

func (f *fixture) buildV1Prelude() []acmetest.Exchange {
	fl := acmetest.NewFlow()
	fl.Get(v1b+"/directory", 200, "application/json", acmetest.JSON(map[string]any{
		"new-reg": v1b + "/acme/new-reg", "new-authz": v1b + "/acme/new-authz", "new-cert": v1b + "/acme/new-cert",
		"revoke-cert": v1b + "/acme/revoke-cert"}))
	fl.Post(v1b+"/acme/new-authz", f.rs256.V1(nonce, []byte(`{"resource":"new-authz","identifier":{"type":"dns","value":"example.com"}}`), false),
		201, acmetest.JSON(map[string]any{"status": "pending", "identifier": map[string]string{"type": "dns", "value": "example.com"},
			"challenges": []map[string]string{{"type": "http-01", "uri": v1b + "/acme/challenge/A/1", "token": token, "status": "pending"}}}),
		"Location", v1b+"/acme/authz/A")
	return exchangesOf(fl)
}

// exchangesOf exposes a flow's exchanges for replay.
func exchangesOf(fl *acmetest.Flow) []acmetest.Exchange {
	var out []acmetest.Exchange
	for _, e := range fl.Exchanges() {
		x := acmetest.Exchange{Method: e.Request.Method, URL: e.Request.URL, ReqHeaders: e.Request.Headers,
			ReqBody: e.Request.Body.Data}
		if e.Response != nil {
			x.Status, x.RespHeader, x.RespBody = e.Response.Status, e.Response.Headers, e.Response.Body.Data
		}
		out = append(out, x)
	}
	return out
}

// decodeAfter replays the prelude of the dialect into a fresh Decoder and
// decodes x.
func (f *fixture) decodeAfter(dialect string, x acmetest.Exchange) *decode.Message {
	d := decode.NewDecoder()
	prelude := f.v2Prelude
	if dialect == "v1" {
		prelude = f.v1Prelude
	}
	for i, p := range prelude {
		d.Decode(p.Build(uint64(i+1), acmetest.NewFlow().Base))
	}
	return d.Decode(x.Build(uint64(len(prelude)+1), acmetest.NewFlow().Base))
}

// issueCodes returns the distinct codes of m's issues, sorted.
func issueCodes(m *decode.Message) []decode.IssueCode {
	var out []decode.IssueCode
	for _, is := range m.Issues {
		if !slices.Contains(out, is.Code) {
			out = append(out, is.Code)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// post is a signed POST with a well-behaved client's headers answered 200.
func post(url string, body []byte) acmetest.Exchange {
	return acmetest.Exchange{Method: "POST", URL: url, ReqHeaders: acmetest.ClientHeaders(), ReqBody: body,
		Status: 200, RespHeader: acmetest.Headers("Content-Type", "application/json", "Replay-Nonce", nonce)}
}

var _ = journal.Format

var (
	base64URL       = base64.RawURLEncoding
	base64URLPadded = base64.URLEncoding
)
