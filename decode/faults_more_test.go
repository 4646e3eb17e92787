package decode_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/decode/internal/acmetest"
)

// shapeFaultCases cover members of the wrong type and the inner JWS of
// externalAccountBinding and key changes.
func shapeFaultCases() []faultCase {
	innerKC := func(f *fixture, signer *acmetest.Signer, hd acmetest.Header, payload any) acmetest.Exchange {
		ku := pb + "/rollover-account-key"
		in := acmetest.JWS{Protected: hd, Payload: acmetest.JSON(payload), Signer: signer}.Body()
		return post(ku, f.es256.V2(ku, kid, nonce, in))
	}
	ku := pb + "/rollover-account-key"
	return []faultCase{
		{name: "fail/header-alg-not-a-string", build: func(f *fixture) acmetest.Exchange {
			return post(orderURL, acmetest.JWS{Protected: h("alg", 256, "kid", kid, "nonce", nonce, "url", orderURL), Signer: f.es256}.Body())
		}, want: []decode.IssueCode{decode.IssueJWSBadHeader, decode.IssueJWSMissingAlg}, verify: decode.VerifyNotChecked},
		{name: "fail/payload-member-of-wrong-type", build: func(f *fixture) acmetest.Exchange {
			return post(newOrder, f.es256.V2(newOrder, kid, nonce, []byte(`{"identifiers":"example.com"}`)))
		}, want: []decode.IssueCode{decode.IssuePayloadBadShape}, verify: decode.VerifyValid, op: decode.OpOrderCreate},
		{name: "fail/csr-not-base64url", build: func(f *fixture) acmetest.Exchange {
			return post(finalURL, f.es256.V2(finalURL, kid, nonce, []byte(`{"csr":"MII+/w"}`)))
		}, want: []decode.IssueCode{decode.IssuePayloadBadBase64}, verify: decode.VerifyValid, op: decode.OpOrderFinalize},
		{name: "fail/eab-not-a-jws", build: func(f *fixture) acmetest.Exchange {
			return post(newAcct, f.other.V2(newAcct, "", nonce, []byte(`{"externalAccountBinding":"x"}`)))
		}, want: []decode.IssueCode{decode.IssueEABMalformed}, verify: decode.VerifyValid},
		{name: "fail/key-change-to-the-same-key", build: func(f *fixture) acmetest.Exchange {
			return innerKC(f, f.es256, h("alg", "ES256", "jwk", f.es256.JWK, "url", ku), map[string]any{"account": kid, "oldKey": f.es256.JWK})
		}, want: []decode.IssueCode{decode.IssueKeyChangeSameKey}, verify: decode.VerifyValid},
		{name: "fail/key-change-inner-without-jwk", build: func(f *fixture) acmetest.Exchange {
			return innerKC(f, f.rs256, h("alg", "RS256", "url", ku), map[string]any{"account": kid, "oldKey": f.es256.JWK})
		}, want: []decode.IssueCode{decode.IssueKeyChangeNoJWK}, verify: decode.VerifyValid},
		{name: "fail/key-change-payload-not-a-jws", build: func(f *fixture) acmetest.Exchange {
			return post(ku, f.es256.V2(ku, kid, nonce, []byte(`{"account":"x"}`)))
		}, want: []decode.IssueCode{decode.IssueKeyChangeMalformed, decode.IssueKeyChangeNoJWK}, verify: decode.VerifyValid},
		{name: "fail/v1-key-change-new-key-not-inner-jwk", dialect: "v1", build: func(f *fixture) acmetest.Exchange {
			in := acmetest.JWS{Protected: h("alg", "ES256", "jwk", f.other.JWK), Signer: f.other,
				Payload: acmetest.JSON(map[string]any{"account": v1b + "/acme/reg/1", "newKey": f.es256.JWK})}.Body()
			outer := strings.TrimSuffix(string(in), "}") + `,"resource":"key-change"}`
			return post(v1b+"/acme/key-change", f.rs256.V1(nonce, []byte(outer), false))
		}, want: []decode.IssueCode{decode.IssueKeyChangeNewKey}, verify: decode.VerifyValid, op: decode.OpKeyChange},
	}
}

func TestShapeFaults(t *testing.T) {
	f := newFixture(t)
	for _, tc := range shapeFaultCases() {
		t.Run(tc.name, func(t *testing.T) { assertCase(t, tc, f.decodeAfter(tc.dialect, tc.build(f))) })
	}
}

// coveredElsewhere names the test that asserts each code not listed in a
// fault table or a golden recording.
var coveredElsewhere = map[decode.IssueCode]string{
	decode.IssueHTTPBadLink:            "TestLinks",
	decode.IssueHTTPBadRetryAfter:      "TestRetryAfter",
	decode.IssueResponseNotJSON:        "TestResponseBodies",
	decode.IssueResponseBadShape:       "TestResponseBodies",
	decode.IssueResponseTruncated:      "TestResponseBodies",
	decode.IssueResponseUnknownStatus:  "TestResponseBodies",
	decode.IssueResponseBadCertificate: "TestCertificates",
	decode.IssueCSRUnparsable:          "TestParseCSRFaults",
	decode.IssueCSRBadSignature:        "TestParseCSRFaults",
	decode.IssueBodyTruncated:          "TestTruncatedBodyIsNotABadSignature",
}

// TestIssueCodes is the meta-test over IssueCodes (zlint TestLintNames):
// stable shape, no duplicates, text round trip, a citation for every
// protocol rule, and a test for every code.
func TestIssueCodes(t *testing.T) {
	shape := regexp.MustCompile(`^(body|jws|http|payload|csr|eab|keychange|response)\.[a-z0-9_]+$`)
	covered := map[decode.IssueCode]bool{}
	for _, group := range [][]faultCase{okCases(), jwsFaultCases(), jwsHeaderCases(), jwsEncodingCases(),
		httpPayloadFaultCases(), eabKeyChangeFaultCases(), v1FaultCases(), shapeFaultCases()} {
		for _, tc := range group {
			for _, c := range tc.want {
				covered[c] = true
			}
		}
	}
	for _, c := range goldenIssueCodes(t) {
		covered[c] = true
	}
	seen := map[decode.IssueCode]bool{}
	for _, c := range decode.IssueCodes() {
		if seen[c] || !shape.MatchString(string(c)) {
			t.Errorf("%q: duplicate or badly shaped", c)
		}
		seen[c] = true
		var back decode.IssueCode
		if err := back.UnmarshalText([]byte(c)); err != nil || back != c {
			t.Errorf("%q: text round trip", c)
		}
		if c.Citation() == "" && !strings.HasPrefix(string(c), "response.") && c != decode.IssueBodyTruncated &&
			!slices.Contains([]decode.IssueCode{decode.IssuePayloadNotJSON, decode.IssuePayloadBadShape,
				decode.IssuePayloadBadCertificate, decode.IssuePayloadMissingField}, c) {
			t.Errorf("%q: no citation", c)
		}
		if !covered[c] && coveredElsewhere[c] == "" {
			t.Errorf("%q: no test produces it", c)
		}
	}
	var bad decode.IssueCode
	if bad.UnmarshalText([]byte("jws.nonsense")) == nil {
		t.Error("unknown code accepted")
	}
}

func goldenIssueCodes(t *testing.T) []decode.IssueCode {
	var out []decode.IssueCode
	paths, _ := globGoldens()
	for _, p := range paths {
		var msgs []struct {
			Issues []decode.Issue `json:"issues"`
		}
		if err := json.Unmarshal(readFile(t, p), &msgs); err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			for _, is := range m.Issues {
				out = append(out, is.Code)
			}
		}
	}
	return out
}
