package decode_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/decode/internal/acmetest"
	"github.com/acmeproxy/acmeproxy/journal"
)

func decodeAll(xs []*journal.Exchange) []*decode.Message {
	d := decode.NewDecoder()
	out := make([]*decode.Message, len(xs))
	for i, e := range xs {
		out[i] = d.Decode(e)
	}
	return out
}

func opLine(m *decode.Message) string {
	return fmt.Sprintf("%s %s/%s %s", m.Operation, m.Dialect, m.DialectBasis, m.OperationBasis)
}

// TestPebbleFlowOperations decodes the constructed Pebble conversation:
// after the directory, every URL is known from the directory or from an
// earlier response, never from its (odd) path.
func TestPebbleFlowOperations(t *testing.T) {
	want := []string{
		"directory v2/directory response", "nonce v2/directory directory",
		"account.create v2/directory directory", "order.create v2/directory directory",
		"authz.fetch v2/learned learned", "self_check unknown/none path",
		"challenge.trigger v2/learned learned", "authz.fetch v2/learned learned",
		"authz.fetch v2/learned learned", "challenge.trigger v2/learned learned",
		"challenge.trigger v2/learned learned", "authz.fetch v2/learned learned",
		"order.finalize v2/learned learned", "order.poll v2/learned learned",
		"cert.download v2/learned learned", "cert.renewal_info v2/directory directory",
		"account.update v2/learned learned", "account.key_change v2/directory directory",
		"cert.revoke v2/directory directory", "authz.deactivate v2/learned learned",
		"account.orders v2/learned learned", "account.lookup v2/directory directory",
		"account.deactivate v2/learned learned",
	}
	ms := decodeAll(acmetest.NewV2().Exchanges())
	assertOps(t, ms, want)
	for _, m := range ms {
		if m.JWS != nil && m.JWS.Verification != decode.VerifyValid {
			t.Errorf("#%d %s: verification %s (%s)", m.Seq, m.Operation, m.JWS.Verification, m.JWS.VerificationDetail)
		}
	}
	if got := ms[15].CertID; got == "" {
		t.Errorf("renewalInfo certID not extracted from %s", ms[15].URL)
	}
}

// TestBoulderV1FlowOperations decodes the constructed Boulder v1
// conversation (acme-tiny style).
func TestBoulderV1FlowOperations(t *testing.T) {
	want := []string{
		"directory v1/directory response", "directory v1/directory directory",
		"account.create v1/directory directory", "authz.create v1/directory directory",
		"self_check unknown/none path", "challenge.trigger v1/learned learned",
		"challenge.poll v1/learned learned", "authz.fetch v1/learned learned",
		"cert.issue v1/directory directory", "cert.issuer v1/learned learned",
		"cert.download v1/learned learned", "account.fetch v1/learned learned",
		"account.create v1/directory directory", "authz.create v1/directory directory",
		"authz.deactivate v1/learned learned", "cert.revoke v1/directory directory",
		"account.key_change v1/directory directory", "terms v1/directory path",
	}
	ms := decodeAll(acmetest.NewV1().Exchanges())
	assertOps(t, ms, want)
	for _, m := range ms {
		if len(m.Issues) > 0 {
			t.Errorf("#%d %s: unexpected issues %v", m.Seq, m.Operation, m.Issues)
		}
	}
	if ms[12].Response.Problem == nil || ms[12].AccountURL != acmetest.BoulderV1Base+"/acme/reg/1" {
		t.Errorf("409 new-reg: problem %v account %q", ms[12].Response.Problem, ms[12].AccountURL)
	}
}

// TestEveryOperationDecodedFromAFlow: every ACME operation of both dialects
// and the self-check appear in the constructed flows.
func TestEveryOperationDecodedFromAFlow(t *testing.T) {
	seen := map[decode.Operation]bool{}
	for _, ms := range [][]*decode.Message{decodeAll(acmetest.NewV2().Exchanges()), decodeAll(acmetest.NewV1().Exchanges())} {
		for _, m := range ms {
			seen[m.Operation] = true
		}
	}
	for _, op := range decode.Operations() {
		if op != decode.OpUnknown && !seen[op] {
			t.Errorf("operation %s never decoded", op)
		}
	}
}

func assertOps(t *testing.T, ms []*decode.Message, want []string) {
	t.Helper()
	var got []string
	for _, m := range ms {
		got = append(got, opLine(m))
	}
	if !slices.Equal(got, want) {
		for i := range max(len(got), len(want)) {
			g, w := "", ""
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("#%d: got %q, want %q", i+1, g, w)
			}
		}
	}
}

// TestPathFallback classifies URLs no directory named, by path shape
// alone (acme-reference.md §4.1, §5.1, §10.3).
func TestPathFallback(t *testing.T) {
	s := acmetest.NewSigner("ES256")
	v1 := func(res string) []byte { return s.V1(nonce, []byte(`{"resource":"`+res+`"}`), false) }
	cases := []struct {
		name, method, url string
		body              []byte
		op                decode.Operation
		dialect           decode.Dialect
	}{
		{"ok/pebble-dir", "GET", "https://p.test/dir", nil, decode.OpDirectory, decode.DialectUnknown},
		{"ok/pebble-nonce", "HEAD", "https://p.test/nonce-plz", nil, decode.OpNonce, decode.DialectV2},
		{"ok/pebble-new-account", "POST", "https://p.test/sign-me-up", s.V2("https://p.test/sign-me-up", "", nonce, []byte(`{}`)), decode.OpAccountCreate, decode.DialectV2},
		{"ok/pebble-new-order", "POST", "https://p.test/order-plz", s.V2("https://p.test/order-plz", "k", nonce, []byte(`{}`)), decode.OpOrderCreate, decode.DialectV2},
		{"ok/pebble-authz", "POST", "https://p.test/authZ/x", s.V2("https://p.test/authZ/x", "k", nonce, nil), decode.OpAuthzFetch, decode.DialectV2},
		{"ok/pebble-challenge", "POST", "https://p.test/chalZ/x", s.V2("https://p.test/chalZ/x", "k", nonce, []byte(`{}`)), decode.OpChallengeTrigger, decode.DialectV2},
		{"ok/pebble-finalize", "POST", "https://p.test/finalize-order/x", s.V2("https://p.test/finalize-order/x", "k", nonce, []byte(`{"csr":"AA"}`)), decode.OpOrderFinalize, decode.DialectV2},
		{"ok/pebble-cert", "POST", "https://p.test/certZ/x", s.V2("https://p.test/certZ/x", "k", nonce, nil), decode.OpCertDownload, decode.DialectV2},
		{"ok/pebble-order", "POST", "https://p.test/my-order/x", s.V2("https://p.test/my-order/x", "k", nonce, nil), decode.OpOrderPoll, decode.DialectV2},
		{"ok/pebble-key-change", "POST", "https://p.test/rollover-account-key", s.V2("https://p.test/rollover-account-key", "k", nonce, []byte(`{}`)), decode.OpKeyChange, decode.DialectV2},
		{"ok/pebble-ari", "GET", "https://p.test/draft-ietf-acme-ari-03/renewalInfo/abc.def", nil, decode.OpRenewalInfo, decode.DialectV2},
		{"ok/boulder-v2-authz", "POST", "https://b.test/acme/authz/1/2", s.V2("https://b.test/acme/authz/1/2", "k", nonce, nil), decode.OpAuthzFetch, decode.DialectV2},
		{"ok/boulder-v2-chall", "POST", "https://b.test/acme/chall/1/2/Rv9xLA", s.V2("https://b.test/acme/chall/1/2/Rv9xLA", "k", nonce, []byte(`{}`)), decode.OpChallengeTrigger, decode.DialectV2},
		{"ok/boulder-v2-authz-v3", "GET", "https://b.test/acme/authz-v3/123", nil, decode.OpAuthzFetch, decode.DialectUnknown},
		{"ok/boulder-v1-new-reg", "POST", "https://b.test/acme/new-reg", v1("new-reg"), decode.OpAccountCreate, decode.DialectV1},
		{"ok/boulder-v1-reg", "POST", "https://b.test/acme/reg/7", v1("reg"), decode.OpAccountFetch, decode.DialectV1},
		{"ok/boulder-v1-new-authz", "POST", "https://b.test/acme/new-authz", v1("new-authz"), decode.OpAuthzCreate, decode.DialectV1},
		{"ok/boulder-v1-challenge-get", "GET", "https://b.test/acme/challenge/abc/1", nil, decode.OpChallengePoll, decode.DialectUnknown},
		{"ok/boulder-v1-challenge-post", "POST", "https://b.test/acme/challenge/abc/1", v1("challenge"), decode.OpChallengeTrigger, decode.DialectV1},
		{"ok/boulder-v1-new-cert", "POST", "https://b.test/acme/new-cert", v1("new-cert"), decode.OpCertIssue, decode.DialectV1},
		{"ok/boulder-v1-cert", "GET", "https://b.test/acme/cert/03ab", nil, decode.OpCertDownload, decode.DialectUnknown},
		{"ok/boulder-v1-issuer", "GET", "https://b.test/acme/issuer-cert", nil, decode.OpIssuerDownload, decode.DialectV1},
		{"ok/boulder-v1-revoke", "POST", "https://b.test/acme/revoke-cert", v1("revoke-cert"), decode.OpRevoke, decode.DialectV1},
		{"ok/boulder-v1-terms", "GET", "https://b.test/terms", nil, decode.OpTerms, decode.DialectUnknown},
		{"ok/self-check", "GET", "http://example.com/.well-known/acme-challenge/abc-_DEF", nil, decode.OpSelfCheck, decode.DialectUnknown},
		{"ok/unknown", "GET", "https://b.test/favicon.ico", nil, decode.OpUnknown, decode.DialectUnknown},
		{"ok/self-check-post-is-not-a-self-check", "POST", "http://example.com/.well-known/acme-challenge/abc", []byte("x"), decode.OpUnknown, decode.DialectUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := acmetest.Exchange{Method: tc.method, URL: tc.url, ReqHeaders: acmetest.ClientHeaders(), ReqBody: tc.body, Status: 200}
			m := decode.Decode(x.Build(1, acmetest.NewFlow().Base), nil)
			if m.Operation != tc.op || m.Dialect != tc.dialect {
				t.Errorf("got %s %s, want %s %s", m.Operation, m.Dialect, tc.op, tc.dialect)
			}
			if tc.op != decode.OpUnknown && m.OperationBasis != decode.BasisPath {
				t.Errorf("basis %s, want path", m.OperationBasis)
			}
		})
	}
}

// TestDirectoryBeatsPath: a directory that names URLs whose paths look like
// something else wins over the path shape.
func TestDirectoryBeatsPath(t *testing.T) {
	dir := decode.ParseDirectory("https://ca.test/dir", []byte(`{"newNonce":"https://ca.test/acme/authz/5",
		"newAccount":"https://ca.test/acme/new-reg","newOrder":"https://ca.test/x/1"}`))
	if dir == nil || dir.Dialect != decode.DialectV2 {
		t.Fatalf("directory %+v", dir)
	}
	s := acmetest.NewSigner("ES256")
	for _, tc := range []struct {
		method, url string
		body        []byte
		op          decode.Operation
	}{
		{"HEAD", "https://ca.test/acme/authz/5", nil, decode.OpNonce},
		{"POST", "https://ca.test/acme/new-reg", s.V2("https://ca.test/acme/new-reg", "", nonce, []byte(`{}`)), decode.OpAccountCreate},
		{"POST", "https://ca.test/x/1", s.V2("https://ca.test/x/1", "k", nonce, []byte(`{}`)), decode.OpOrderCreate},
	} {
		x := acmetest.Exchange{Method: tc.method, URL: tc.url, ReqHeaders: acmetest.ClientHeaders(), ReqBody: tc.body, Status: 200}
		m := decode.Decode(x.Build(1, acmetest.NewFlow().Base), dir)
		if m.Operation != tc.op || m.OperationBasis != decode.BasisDirectory || m.Dialect != decode.DialectV2 {
			t.Errorf("%s %s: %s", tc.method, tc.url, opLine(m))
		}
	}
}

// TestLearnedURLsWithoutPathShapes: a server whose paths match no known
// shape is followed through Location and bodies alone.
func TestLearnedURLsWithoutPathShapes(t *testing.T) {
	const ca = "https://odd.test"
	s := acmetest.NewSigner("ES256")
	fl := acmetest.NewFlow()
	fl.Get(ca+"/", 200, "application/json", []byte(`{"newNonce":"`+ca+`/n","newAccount":"`+ca+`/a","newOrder":"`+ca+`/o"}`))
	fl.Post(ca+"/a", s.V2(ca+"/a", "", nonce, []byte(`{}`)), 201, []byte(`{"status":"valid"}`), "Location", ca+"/u/1")
	fl.Post(ca+"/o", s.V2(ca+"/o", ca+"/u/1", nonce, []byte(`{"identifiers":[]}`)), 201,
		[]byte(`{"status":"pending","authorizations":["`+ca+`/q/1"],"finalize":"`+ca+`/q/2"}`), "Location", ca+"/q/3")
	fl.Post(ca+"/q/1", s.V2(ca+"/q/1", ca+"/u/1", nonce, nil), 200,
		[]byte(`{"status":"pending","identifier":{"type":"dns","value":"x"},"challenges":[{"type":"http-01","url":"`+ca+`/q/4","token":"t","status":"pending"}]}`))
	fl.Post(ca+"/q/4", s.V2(ca+"/q/4", ca+"/u/1", nonce, []byte(`{}`)), 200, []byte(`{"type":"http-01","status":"pending"}`))
	fl.Post(ca+"/q/2", s.V2(ca+"/q/2", ca+"/u/1", nonce, []byte(`{"csr":""}`)), 200, []byte(`{"status":"valid","certificate":"`+ca+`/q/5"}`))
	fl.Post(ca+"/q/3", s.V2(ca+"/q/3", ca+"/u/1", nonce, nil), 200, []byte(`{"status":"valid"}`))
	fl.Post(ca+"/q/5", s.V2(ca+"/q/5", ca+"/u/1", nonce, nil), 200, []byte(`not pem`))
	want := []string{
		"directory v2/directory response", "account.create v2/directory directory", "order.create v2/directory directory",
		"authz.fetch v2/learned learned", "challenge.trigger v2/learned learned", "order.finalize v2/learned learned",
		"order.poll v2/learned learned", "cert.download v2/learned learned",
	}
	assertOps(t, decodeAll(fl.Exchanges()), want)
}

// TestSniffedResponse: an unknown URL without a directory is typed by its
// response body.
func TestSniffedResponse(t *testing.T) {
	x := acmetest.Exchange{Method: "GET", URL: "https://x.test/zz/1", ReqHeaders: acmetest.Headers("User-Agent", "u"), Status: 200,
		RespBody: []byte(`{"status":"pending","identifier":{"type":"dns","value":"a"},"challenges":[{"type":"http-01","uri":"https://x.test/zz/2","token":"t","status":"pending"}]}`)}
	m := decode.Decode(x.Build(1, acmetest.NewFlow().Base), nil)
	if m.Operation != decode.OpAuthzFetch || m.OperationBasis != decode.BasisResponse || m.Dialect != decode.DialectV1 || m.DialectBasis != decode.BasisResponse {
		t.Errorf("got %s", opLine(m))
	}
	if m.Response.Authorization == nil || m.Response.Authorization.Challenges[0].Location() != "https://x.test/zz/2" {
		t.Errorf("authorization %+v", m.Response.Authorization)
	}
}

// TestDialectFromRequest: without a directory, "kid" ⇒ v2, payload
// "resource" ⇒ v1, "url" ⇒ v2; a problem's namespace tells on a response
// (acme-reference.md §1).
func TestDialectFromRequest(t *testing.T) {
	s := acmetest.NewSigner("ES256")
	const u = "https://x.test/zz"
	cases := []struct {
		name string
		body []byte
		resp []byte
		want decode.Dialect
	}{
		{"ok/kid-v2", s.V2(u, "https://x.test/acct/1", nonce, []byte(`{"resource":"x"}`)), nil, decode.DialectV2},
		{"ok/resource-v1", s.V1(nonce, []byte(`{"resource":"new-authz"}`), false), nil, decode.DialectV1},
		{"ok/url-only-v2", s.V2(u, "", nonce, []byte(`{}`)), nil, decode.DialectV2},
		{"ok/problem-v1", []byte(`x`), []byte(`{"type":"urn:acme:error:malformed"}`), decode.DialectV1},
		{"ok/problem-v2", []byte(`x`), []byte(`{"type":"urn:ietf:params:acme:error:malformed"}`), decode.DialectV2},
		{"ok/nothing", []byte(`x`), []byte(`{}`), decode.DialectUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := acmetest.Exchange{Method: "POST", URL: u, ReqHeaders: acmetest.ClientHeaders(), ReqBody: tc.body, Status: 400, RespBody: tc.resp}
			m := decode.Decode(x.Build(1, acmetest.NewFlow().Base), nil)
			if m.Dialect != tc.want {
				t.Errorf("dialect %s (%s), want %s", m.Dialect, m.DialectBasis, tc.want)
			}
		})
	}
}

// TestMixedOrigin: v1 and v2 directories behind one origin leave the
// decision to the URL facts of each directory.
func TestMixedOrigin(t *testing.T) {
	d := decode.NewDecoder()
	d.AddDirectory(decode.ParseDirectory("https://m.test/v1/directory", []byte(`{"new-reg":"https://m.test/v1/new-reg"}`)))
	d.AddDirectory(decode.ParseDirectory("https://m.test/v2/directory", []byte(`{"newAccount":"https://m.test/v2/new-acct","newOrder":"https://m.test/v2/new-order"}`)))
	for url, want := range map[string]decode.Dialect{
		"https://m.test/v1/new-reg": decode.DialectV1, "https://m.test/v2/new-acct": decode.DialectV2, "https://m.test/other": decode.DialectUnknown,
	} {
		x := acmetest.Exchange{Method: "GET", URL: url, ReqHeaders: acmetest.Headers("User-Agent", "u"), Status: 200}
		if m := d.Decode(x.Build(1, acmetest.NewFlow().Base)); m.Dialect != want {
			t.Errorf("%s: %s, want %s", url, m.Dialect, want)
		}
	}
}

func TestOperationText(t *testing.T) {
	for _, op := range decode.Operations() {
		var back decode.Operation
		b, _ := op.MarshalText()
		if err := back.UnmarshalText(b); err != nil || back != op {
			t.Errorf("%s: round trip %q, %v", op, back, err)
		}
	}
	var op decode.Operation
	if err := op.UnmarshalText([]byte("order.eat")); err == nil {
		t.Error("unknown operation accepted")
	}
	var d decode.Dialect
	if err := d.UnmarshalText([]byte("v3")); err == nil {
		t.Error("unknown dialect accepted")
	}
}
