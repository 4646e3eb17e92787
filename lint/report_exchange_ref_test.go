package lint

import (
	"encoding/base64"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/reports"
)

// This is how the report showed an exchange when it decoded the
// recordings again; facts_test.go checks that the facts a run keeps give
// the same.

// reportExchange is one exchange as the report shows it.
func reportExchange(file string, e *journal.Exchange, m *decode.Message) reports.Exchange {
	x := reports.Exchange{
		File: file, Line: e.Line, Seq: e.Seq, Time: e.Start, Duration: e.End.Sub(e.Start),
		Method: m.Method, URL: m.URL, Operation: string(m.Operation), Dialect: string(m.Dialect),
		Error: m.Error, Issues: issueCodes(m),
	}
	if m.Account != nil {
		x.Account = m.Account.Thumbprint
	}
	x.Request = reports.Message{Headers: headersOf(e.Request.Headers), Body: requestBody(e, m)}
	if resp := e.Response; resp != nil {
		x.Status = resp.Status
		body := reports.BodyOf(resp.Headers.Get("Content-Type"), resp.Body.Data, resp.Body.Size, maxBody)
		body.Truncated = body.Truncated || resp.Body.Truncated
		x.Response = &reports.Message{Headers: headersOf(resp.Headers), Body: body}
	}
	if m.Response != nil && m.Response.Problem != nil {
		p := m.Response.Problem
		x.Problem = &reports.Problem{Type: string(p.Type), Detail: p.Detail, Status: p.Status}
	}
	return x
}

func requestBody(e *journal.Exchange, m *decode.Message) reports.Body {
	ct := e.Request.Headers.Get("Content-Type")
	if j := m.JWS; j != nil {
		prot, err := base64.RawURLEncoding.DecodeString(j.RawProtected)
		if err == nil {
			return reports.JWSBody(ct, prot, j.Payload, e.Request.Body.Size, maxBody)
		}
	}
	b := reports.BodyOf(ct, e.Request.Body.Data, e.Request.Body.Size, maxBody)
	b.Truncated = b.Truncated || e.Request.Body.Truncated
	return b
}

func issueCodes(m *decode.Message) []string {
	out := make([]string, 0, len(m.Issues))
	for _, is := range m.Issues {
		out = append(out, string(is.Code))
	}
	return out
}
