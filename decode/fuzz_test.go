package decode_test

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/decode/internal/acmetest"
	"github.com/acmeproxy/acmeproxy/internal/journaltest"
	"github.com/acmeproxy/acmeproxy/journal"
)

// recordedExchanges returns every exchange of the testdata recordings, the
// fuzz seeds.
func recordedExchanges(tb testing.TB) []*journal.Exchange {
	tb.Helper()
	paths, _ := filepath.Glob(filepath.Join(exchangesDir, "*", "journal.jsonl"))
	var out []*journal.Exchange
	for _, p := range paths {
		out = append(out, journaltest.ReadAll(tb, p)...)
	}
	return out
}

// fuzzDirectories are the directories a fuzzed exchange is decoded
// against, so that URL knowledge is exercised too.
func fuzzDirectories() []*decode.Directory {
	return []*decode.Directory{
		decode.ParseDirectory(pb+"/dir", []byte(`{"newNonce":"`+pb+`/nonce-plz","newAccount":"`+newAcct+`","newOrder":"`+newOrder+
			`","revokeCert":"`+pb+`/revoke-cert","keyChange":"`+pb+`/rollover-account-key","renewalInfo":"`+pb+`/draft-ietf-acme-ari-03/renewalInfo"}`)),
		decode.ParseDirectory(v1b+"/directory", []byte(`{"new-reg":"`+v1b+`/acme/new-reg","new-authz":"`+v1b+`/acme/new-authz","new-cert":"`+v1b+`/acme/new-cert"}`)),
	}
}

// checkMessage holds a decoded message to the fuzz properties: it
// marshals, and encode → decode → encode gives the same JSON document.
// The comparison is of documents, not bytes: a wire string with invalid
// UTF-8 is written as "\ufffd" the first time and as the literal U+FFFD
// the second (regression input testdata/fuzz/FuzzDecodeExchange/ca0059d1c14cabec).
func checkMessage(t *testing.T, m *decode.Message) {
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var back decode.Message
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal of own output: %v\n%s", err, b)
	}
	b2, err := json.Marshal(&back)
	if err != nil {
		t.Fatalf("re-marshal: %v", err)
	}
	var d1, d2 any
	if json.Unmarshal(b, &d1) != nil || json.Unmarshal(b2, &d2) != nil || !reflect.DeepEqual(d1, d2) {
		t.Fatalf("JSON round trip not stable:\n%s\n%s", b, b2)
	}
}

// FuzzDecodeJWS feeds raw request bodies to ParseJWS and to the exchange
// decoder as a POST to a known newOrder URL.
func FuzzDecodeJWS(f *testing.F) {
	for _, e := range recordedExchanges(f) {
		if len(e.Request.Body.Data) > 0 {
			f.Add(e.Request.Body.Data)
		}
	}
	f.Add([]byte(`{"protected":"e30=","payload":"","signature":"","header":{"nonce":"x"},"signatures":[{}]}`))
	f.Add([]byte(`a.b.c`))
	dirs := fuzzDirectories()
	f.Fuzz(func(t *testing.T, body []byte) {
		j, _ := decode.ParseJWS(body)
		if j != nil {
			if _, err := json.Marshal(j); err != nil {
				t.Fatalf("marshal jws: %v", err)
			}
		}
		x := acmetest.Exchange{Method: "POST", URL: newOrder, ReqHeaders: acmetest.ClientHeaders(), ReqBody: body, Status: 201}
		m := decode.Decode(x.Build(1, acmetest.NewFlow().Base), dirs[0])
		checkMessage(t, m)
	})
}

// FuzzDecodeExchange feeds whole exchanges (method, URL, request and
// response bodies, status, content type, truncation) to a Decoder that
// knows a v2 and a v1 directory, decodes each twice (the second time with
// whatever the first taught it) and checks determinism and JSON stability.
func FuzzDecodeExchange(f *testing.F) {
	for _, e := range recordedExchanges(f) {
		var resp []byte
		status, ct := 0, ""
		if e.Response != nil {
			resp, status, ct = e.Response.Body.Data, e.Response.Status, e.Response.Headers.Get("Content-Type")
		}
		f.Add(e.Request.Method, e.Request.URL, e.Request.Body.Data, resp, status, ct, "", false)
	}
	f.Add("GET", pb+"/authZ/1", []byte(nil), []byte(`{"challenges":[{"token":"t","url":"/x"}],"identifier":{}}`), 200, "application/json", `</up>;rel=up`, false)
	dirs := fuzzDirectories()
	f.Fuzz(func(t *testing.T, method, url string, reqBody, respBody []byte, status int, ct, link string, truncated bool) {
		x := acmetest.Exchange{Method: method, URL: url, ReqHeaders: acmetest.ClientHeaders(), ReqBody: reqBody,
			Status: status, RespHeader: acmetest.Headers("Content-Type", ct, "Link", link, "Location", link, "Retry-After", link), RespBody: respBody}
		if truncated && len(reqBody) > 1 {
			x.TruncateRequest = len(reqBody) / 2
		}
		e := x.Build(1, acmetest.NewFlow().Base)
		d := decode.NewDecoder()
		for _, dir := range dirs {
			d.AddDirectory(dir)
		}
		first := d.Decode(e)
		again := decode.Decode(e, dirs[0])
		checkMessage(t, first)
		checkMessage(t, again)
		a1, _ := json.Marshal(again)
		a2, _ := json.Marshal(decode.Decode(e, dirs[0]))
		if string(a1) != string(a2) {
			t.Fatalf("decoding is not deterministic:\n%s\n%s", a1, a2)
		}
		second := d.Decode(e)
		checkMessage(t, second)
		if truncated && first.HasIssue(decode.IssueJWSBadSignature) && e.Request.Body.Truncated {
			t.Fatal("truncated body reported as a bad signature")
		}
	})
}

// TestMessagesRoundTrip holds every message of the recordings, and a
// truncated one, to the fuzz properties.
func TestMessagesRoundTrip(t *testing.T) {
	d := decode.NewDecoder()
	for _, e := range recordedExchanges(t) {
		checkMessage(t, d.Decode(e))
		if n := len(e.Request.Body.Data); n > 1 {
			e.Request.Body.Data, e.Request.Body.Truncated = e.Request.Body.Data[:n/2], true
			checkMessage(t, d.Decode(e))
		}
	}
}
