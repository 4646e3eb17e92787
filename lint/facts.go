package lint

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/acmeproxy/acmeproxy/acme"
	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/reports"
)

// facts is what the report needs of one decoded exchange besides the
// recorded bytes, which it reads again: 12 bytes per exchange, where
// keeping the decoded messages would take kilobytes and decoding again
// would cost a second lint. Strings are interned in the factTable.
type facts struct {
	account   uint32 // thumbprint of the signing key, index+1 in factTable.keys; 0: none
	issues    uint16 // index in factTable.issues
	operation uint8  // index in factTable.strs
	dialect   uint8  // index in factTable.strs
	jws       jwsFact
	seen      bool
}

// jwsFact says where the report finds the request's JWS.
type jwsFact uint8

const (
	jwsNone      jwsFact = iota // not a JWS: the body as recorded
	jwsBody                     // parse the recorded body again
	jwsTruncated                // truncated: the decoder kept an empty JWS
)

// factKey is an exchange's place: its recording and line.
type factKey struct {
	src  int
	line int
}

// factTable holds the facts of every exchange of a lint, by recording
// and line.
type factTable struct {
	bySource map[string]int
	lines    [][]facts
	strs     []string
	strIndex map[string]uint8
	issues   [][]string
	issueIdx map[string]uint16
	keys     []string
	keyIndex map[string]uint32
	problems map[factKey]*acme.Problem
}

func newFactTable() *factTable {
	return &factTable{bySource: map[string]int{}, strIndex: map[string]uint8{}, issues: [][]string{{}},
		issueIdx: map[string]uint16{"": 0}, keyIndex: map[string]uint32{},
		problems: map[factKey]*acme.Problem{}}
}

// record keeps the facts of x.
func (t *factTable) record(x *flow.Exchange) {
	src, ok := t.bySource[x.Ref.Source]
	if !ok {
		src = len(t.lines)
		t.bySource[x.Ref.Source] = src
		t.lines = append(t.lines, nil)
	}
	m := x.Message
	if m.Line <= 0 {
		return
	}
	for len(t.lines[src]) <= m.Line {
		t.lines[src] = append(t.lines[src], facts{})
	}
	f := facts{seen: true, operation: t.str(string(m.Operation)), dialect: t.str(string(m.Dialect)),
		issues: t.issueList(m.Issues)}
	if m.Account != nil {
		f.account = t.key(m.Account.Thumbprint)
	}
	k := factKey{src, m.Line}
	if m.JWS != nil {
		f.jws = jwsBody
		if m.Request.BodyTruncated {
			f.jws = jwsTruncated
		}
	}
	if m.Response != nil && m.Response.Problem != nil {
		t.problems[k] = m.Response.Problem
	}
	t.lines[src][m.Line] = f
}

func (t *factTable) str(s string) uint8 {
	i, ok := t.strIndex[s]
	if !ok {
		i = uint8(len(t.strs))
		t.strs = append(t.strs, s)
		t.strIndex[s] = i
	}
	return i
}

func (t *factTable) issueList(is []decode.Issue) uint16 {
	if len(is) == 0 {
		return 0
	}
	codes := make([]string, len(is))
	for i, x := range is {
		codes[i] = string(x.Code)
	}
	k := strings.Join(codes, "\x00")
	i, ok := t.issueIdx[k]
	if !ok {
		i = uint16(len(t.issues))
		t.issues = append(t.issues, codes)
		t.issueIdx[k] = i
	}
	return i
}

func (t *factTable) key(thumbprint string) uint32 {
	i, ok := t.keyIndex[thumbprint]
	if !ok {
		t.keys = append(t.keys, thumbprint)
		i = uint32(len(t.keys))
		t.keyIndex[thumbprint] = i
	}
	return i
}

// lookup returns the facts of the exchange at line of recording source.
func (t *factTable) lookup(source string, line int) (facts, factKey, bool) {
	src, ok := t.bySource[source]
	if !ok || line <= 0 || line >= len(t.lines[src]) || !t.lines[src][line].seen {
		return facts{}, factKey{}, false
	}
	return t.lines[src][line], factKey{src, line}, true
}

// exchange is the report's exchange e, read again from recording file,
// with the facts the lint kept: what reportExchange makes of the decoded
// message.
func (t *factTable) exchange(file string, e *journal.Exchange) (reports.Exchange, bool) {
	f, k, ok := t.lookup(file, e.Line)
	if !ok {
		return reports.Exchange{}, false
	}
	issues := t.issues[f.issues]
	x := reports.Exchange{
		File: file, Line: e.Line, Seq: e.Seq, Time: e.Start, Duration: e.End.Sub(e.Start),
		Method: strings.ToUpper(e.Request.Method), URL: e.Request.URL, Operation: t.strs[f.operation],
		Dialect: t.strs[f.dialect], Error: e.Error, Issues: append(make([]string, 0, len(issues)), issues...),
	}
	if f.account > 0 {
		x.Account = t.keys[f.account-1]
	}
	x.Request = reports.Message{Headers: headersOf(e.Request.Headers), Body: t.requestBody(e, f)}
	if resp := e.Response; resp != nil {
		x.Status = resp.Status
		body := reports.BodyOf(resp.Headers.Get("Content-Type"), resp.Body.Data, resp.Body.Size, maxBody)
		body.Truncated = body.Truncated || resp.Body.Truncated
		x.Response = &reports.Message{Headers: headersOf(resp.Headers), Body: body}
	}
	if p := t.problems[k]; p != nil {
		x.Problem = &reports.Problem{Type: string(p.Type), Detail: p.Detail, Status: p.Status}
	}
	return x, true
}

// requestBody is requestBody of report_exchange.go for a JWS found again.
func (t *factTable) requestBody(e *journal.Exchange, f facts) reports.Body {
	ct := e.Request.Headers.Get("Content-Type")
	if f.jws != jwsNone {
		var rawProtected string // a truncated body stays the empty JWS the decoder kept
		var payload []byte
		if f.jws == jwsBody {
			rawProtected, payload = jwsParts(decode.RequestBody(e))
		}
		if prot, err := base64.RawURLEncoding.DecodeString(rawProtected); err == nil {
			return reports.JWSBody(ct, prot, payload, e.Request.Body.Size, maxBody)
		}
	}
	b := reports.BodyOf(ct, e.Request.Body.Data, e.Request.Body.Size, maxBody)
	b.Truncated = b.Truncated || e.Request.Body.Truncated
	return b
}

// jwsParts returns the raw protected header and the decoded payload of a
// JWS body as the decoder reads them. The flattened serialization with
// unpadded base64url and an encoded payload, which is nearly every
// request, is read here as decode reads it; anything else goes through
// decode.ParseJWS, which also verifies the signature and is slower.
func jwsParts(body []byte) (string, []byte) {
	var env map[string]json.RawMessage
	if json.Unmarshal(body, &env) == nil && env["signatures"] == nil {
		prot, okP := jsonString(env["protected"])
		pay, okY := jsonString(env["payload"])
		if okP && okY && !strings.ContainsAny(prot+pay, "=\r\n") {
			header, errP := base64.RawURLEncoding.DecodeString(prot)
			payload, errY := base64.RawURLEncoding.DecodeString(pay)
			if errP == nil && errY == nil && !bytes.Contains(header, []byte(`"b64"`)) {
				return prot, payload
			}
		}
	}
	j, _ := decode.ParseJWS(body)
	if j == nil {
		return "", nil
	}
	return j.RawProtected, j.Payload
}

// jsonString reads a JSON string value.
func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}
