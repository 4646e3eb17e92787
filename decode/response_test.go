package decode_test

import (
	"bytes"
	"compress/gzip"
	"encoding/pem"
	"testing"

	"github.com/acmeproxy/acmeproxy/acme"
	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/decode/internal/acmetest"
)

func getWith(url string, status int, ct string, body []byte) *decode.Message {
	x := acmetest.Exchange{Method: "GET", URL: url, ReqHeaders: acmetest.Headers("User-Agent", "u"),
		Status: status, RespHeader: acmetest.Headers("Content-Type", ct), RespBody: body}
	return decode.Decode(x.Build(1, acmetest.NewFlow().Base), nil)
}

func TestProblems(t *testing.T) {
	cases := []struct {
		name     string
		body     string
		ns       string
		pname    acme.ProblemName
		subTypes []acme.ProblemName
	}{
		{"ok/v2-with-subproblems", `{"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"Cannot issue","status":400,
			"subproblems":[{"type":"urn:ietf:params:acme:error:malformed","detail":"bad char","identifier":{"type":"dns","value":"bad_name.example"}},
			{"type":"urn:ietf:params:acme:error:rejectedIdentifier","identifier":{"type":"dns","value":"blocked.example"}}]}`,
			acme.NamespaceV2, acme.ErrRejectedIdentifier, []acme.ProblemName{acme.ErrMalformed, acme.ErrRejectedIdentifier}},
		{"ok/v1-rate-limited", `{"type":"urn:acme:error:rateLimited","detail":"too many","status":429}`,
			acme.NamespaceV1, acme.ErrRateLimited, nil},
		{"ok/v1-subproblems", `{"type":"urn:acme:error:malformed","subproblems":[{"type":"urn:acme:error:caa","identifier":{"type":"dns","value":"a"}}]}`,
			acme.NamespaceV1, acme.ErrMalformed, []acme.ProblemName{acme.ErrCAA}},
		{"ok/about-blank", `{"type":"about:blank","detail":"x"}`, "", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := getWith("https://ca.test/acme/order/1/2", 400, "application/problem+json", []byte(tc.body))
			p := m.Response.Problem
			if p == nil {
				t.Fatalf("no problem: %+v issues %v", m.Response, m.Issues)
			}
			if p.Type.Namespace() != tc.ns || p.Type.Name() != tc.pname || len(p.Subproblems) != len(tc.subTypes) {
				t.Errorf("problem %+v", p)
			}
			for i, sp := range p.Subproblems {
				if sp.Type.Name() != tc.subTypes[i] || sp.Identifier == nil {
					t.Errorf("subproblem %d: %+v", i, sp)
				}
			}
		})
	}
	// An error status with a JSON "type" is a problem even when mislabelled.
	if m := getWith("https://ca.test/acme/order/1/2", 403, "application/json", []byte(`{"type":"urn:ietf:params:acme:error:orderNotReady"}`)); m.Response.Problem == nil {
		t.Error("mislabelled problem not decoded")
	}
}

func TestCertificates(t *testing.T) {
	ca := acmetest.NewCA("Test CA")
	s := acmetest.NewSigner("ES256")
	leaf := ca.Issue(s.Key.Public(), []string{"a.example", "b.example"}, acmetest.NewFlow().Base)
	t.Run("ok/pem-chain", func(t *testing.T) {
		m := getWith("https://ca.test/acme/cert/1", 200, "application/pem-certificate-chain", ca.PEMChain(leaf))
		cs := m.Response.Certificates
		if len(cs) != 2 || cs[0].IsCA || !cs[1].IsCA || cs[0].Key.Thumbprint != s.Thumbprint || len(m.Issues) != 0 {
			t.Fatalf("certificates %+v issues %v", cs, m.Issues)
		}
		if cs[0].Serial != "030000000001" || cs[0].DNSNames[1] != "b.example" || cs[0].Issuer != "CN=Test CA" || cs[0].NotAfter.IsZero() {
			t.Errorf("leaf %+v", cs[0])
		}
	})
	t.Run("ok/der-v1", func(t *testing.T) {
		m := getWith("https://ca.test/acme/cert/1", 200, "application/pkix-cert", leaf)
		if len(m.Response.Certificates) != 1 || len(m.Issues) != 0 {
			t.Errorf("certificates %+v issues %v", m.Response.Certificates, m.Issues)
		}
	})
	t.Run("fail/pem-with-a-key-block", func(t *testing.T) {
		body := append(ca.PEMChain(leaf), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}})...)
		m := getWith("https://ca.test/acme/cert/1", 200, "application/pem-certificate-chain", body)
		if len(m.Response.Certificates) != 2 || !m.HasIssue(decode.IssueResponseBadCertificate) {
			t.Errorf("issues %v", m.Issues)
		}
	})
	t.Run("fail/garbage", func(t *testing.T) {
		m := getWith("https://ca.test/acme/cert/1", 200, "application/pkix-cert", []byte("nope"))
		if len(m.Response.Certificates) != 0 || !m.HasIssue(decode.IssueResponseBadCertificate) {
			t.Errorf("issues %v", m.Issues)
		}
	})
}

func TestResponseBodies(t *testing.T) {
	t.Run("ok/renewal-info", func(t *testing.T) {
		m := getWith("https://ca.test/acme/renewal-info/abc.def", 200, "application/json",
			[]byte(`{"suggestedWindow":{"start":"2026-10-31T00:00:00Z","end":"2026-11-02T00:00:00Z"},"explanationURL":"https://x"}`))
		ri := m.Response.RenewalInfo
		if ri == nil || !ri.SuggestedWindow.Start.Valid() || ri.ExplanationURL != "https://x" || m.CertID != "abc.def" {
			t.Errorf("renewal info %+v cert id %q", ri, m.CertID)
		}
	})
	t.Run("ok/challenge-with-error", func(t *testing.T) {
		m := getWith("https://ca.test/acme/chall/1/2/x", 200, "application/json",
			[]byte(`{"type":"http-01","url":"https://ca.test/acme/chall/1/2/x","status":"invalid","validated":"2026-09-01T12:00:00Z",
			"error":{"type":"urn:ietf:params:acme:error:unauthorized","detail":"404"}}`))
		c := m.Response.Challenge
		if c == nil || c.Status != acme.StatusInvalid || c.Error == nil || c.Error.Type.Name() != acme.ErrUnauthorized || !c.Validated.Valid() {
			t.Errorf("challenge %+v", c)
		}
		if m.Response.ResourceStatus() != acme.StatusInvalid {
			t.Errorf("resource status %q", m.Response.ResourceStatus())
		}
	})
	t.Run("fail/unknown-status", func(t *testing.T) {
		m := getWith("https://ca.test/acme/order/1/2", 200, "application/json", []byte(`{"status":"thinking"}`))
		if !m.HasIssue(decode.IssueResponseUnknownStatus) || m.Response.Order.Status != "thinking" {
			t.Errorf("issues %v", m.Issues)
		}
	})
	t.Run("fail/not-json", func(t *testing.T) {
		m := getWith("https://ca.test/acme/order/1/2", 200, "application/json", []byte(`<html>`))
		if !m.HasIssue(decode.IssueResponseNotJSON) {
			t.Errorf("issues %v", m.Issues)
		}
	})
	t.Run("fail/wrong-member-type", func(t *testing.T) {
		m := getWith("https://ca.test/acme/order/1/2", 200, "application/json", []byte(`{"status":"valid","authorizations":"x","finalize":"f"}`))
		if !m.HasIssue(decode.IssueResponseBadShape) || m.Response.Order.Finalize != "f" {
			t.Errorf("order %+v issues %v", m.Response.Order, m.Issues)
		}
	})
	t.Run("fail/truncated-response", func(t *testing.T) {
		x := acmetest.Exchange{Method: "GET", URL: "https://ca.test/acme/order/1/2", ReqHeaders: acmetest.Headers("User-Agent", "u"),
			Status: 200, RespBody: []byte(`{"status":"valid"}`)}
		e := x.Build(1, acmetest.NewFlow().Base)
		e.Response.Body.Data, e.Response.Body.Truncated = e.Response.Body.Data[:5], true
		m := decode.Decode(e, nil)
		if !m.HasIssue(decode.IssueResponseTruncated) || m.Response.Order != nil {
			t.Errorf("issues %v", m.Issues)
		}
	})
	t.Run("ok/exchange-error", func(t *testing.T) {
		x := acmetest.Exchange{Method: "GET", URL: "https://ca.test/dir", ReqHeaders: acmetest.Headers("User-Agent", "u")}
		e := x.Build(1, acmetest.NewFlow().Base)
		e.Error = "dial tcp: connection refused"
		m := decode.Decode(e, nil)
		if m.Response != nil || m.Error == "" || m.Operation != decode.OpDirectory {
			t.Errorf("message %+v", m)
		}
	})
}

func TestContentEncoding(t *testing.T) {
	body := []byte(`{"status":"valid","identifiers":[],"authorizations":[],"finalize":"f"}`)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(body)
	w.Close()
	get := func(enc string, data []byte) *decode.Message {
		x := acmetest.Exchange{Method: "GET", URL: "https://ca.test/acme/order/1/2", ReqHeaders: acmetest.Headers("User-Agent", "u"),
			Status: 200, RespHeader: acmetest.Headers("Content-Type", "application/json", "Content-Encoding", enc), RespBody: data}
		return decode.Decode(x.Build(1, acmetest.NewFlow().Base), nil)
	}
	if m := get("gzip", gz.Bytes()); m.Response.Order == nil || m.Response.Order.Status != acme.StatusValid || len(m.Issues) != 1 {
		t.Errorf("gzip: order %+v issues %v", m.Response.Order, m.Issues) // the one issue: http.plain_get
	}
	if m := get("br", gz.Bytes()); m.Response.Order != nil || !m.HasIssue(decode.IssueResponseNotJSON) {
		t.Errorf("br: order %+v issues %v", m.Response.Order, m.Issues)
	}
	if m := get("gzip", body); m.Response.Order != nil || !m.HasIssue(decode.IssueResponseNotJSON) {
		t.Errorf("gzip label on plain data: issues %v", m.Issues)
	}
}
