package decode

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/acmeproxy/acmeproxy/internal/idset"
	"github.com/acmeproxy/acmeproxy/journal"
)

// Decoder decodes the exchanges of one recording, in recorded order, and
// learns from each what the next ones mean: directories, URLs named by
// responses, challenge tokens and account keys (see the package
// documentation). Its knowledge grows until Forget drops what belongs to
// an account the caller is done with; it never reorders.
//
// A Decoder is not safe for concurrent use. The zero value is not ready;
// use NewDecoder.
type Decoder struct {
	urls     map[string]urlFact // exact URL → what it is
	prefixes []urlPrefix        // renewalInfo bases: certID URLs sit below them
	origins  map[string]Dialect // scheme://host → dialect of its directory
	keys     map[string]*Key    // account URL (kid) → account key
	accounts map[string]string  // key thumbprint → account URL
	jwks     map[string]parsedJWK

	// forgotten holds the hashes of what Forget dropped; revived those
	// that decoding needed since the last Revived.
	forgotten idset.Set
	revived   []uint64

	// deferVerify leaves outer signatures to Message.Verify.
	deferVerify bool
}

// DeferVerification makes Decode leave the signature of each message's
// JWS unchecked, for Message.Verify to check, so that a caller can verify
// messages on other goroutines while the decoder goes on with the next
// ones. Nothing the decoder learns depends on a signature's outcome: the
// messages are the same once verified. A key change's inner JWS is still
// checked by Decode.
func (d *Decoder) DeferVerification() { d.deferVerify = true }

// parsedJWK caches parseJWK's result for one JWK text: a v1 client embeds
// the same account key in every request.
type parsedJWK struct {
	key    *Key
	issues []Issue
}

// maxCachedJWKs bounds the cache, so that a hostile recording with a new
// key in every request cannot grow it without limit.
const maxCachedJWKs = 1024

// parseJWK is the package's parseJWK behind d's cache.
func (d *Decoder) parseJWK(raw []byte) (*Key, []Issue) {
	if p, ok := d.jwks[string(raw)]; ok {
		return p.key, p.issues
	}
	key, issues := parseJWK(raw)
	if len(d.jwks) < maxCachedJWKs {
		d.jwks[string(raw)] = parsedJWK{key, issues}
	}
	return key, issues
}

// urlFact is what the decoder knows about one URL.
type urlFact struct {
	ep      endpoint
	basis   Basis
	dialect Dialect
	token   string // a challenge's token, for checking a v1 keyAuthorization
}

type urlPrefix struct {
	base    string
	dialect Dialect
}

// NewDecoder returns a Decoder that knows nothing yet.
func NewDecoder() *Decoder {
	return &Decoder{
		urls:     map[string]urlFact{},
		origins:  map[string]Dialect{},
		keys:     map[string]*Key{},
		accounts: map[string]string{},
		jwks:     map[string]parsedJWK{},
	}
}

// Decode decodes e using what d has learned so far, then learns from the
// result. e is not modified or retained; the Message shares no memory with
// it except the raw byte slices the Message documents as raw.
func (d *Decoder) Decode(e *journal.Exchange) *Message {
	m := d.decode(e)
	d.learn(m)
	return m
}

// Decode decodes a single exchange on its own. dir, when not nil, is the
// directory of the server the exchange went to; without it only path
// shapes and the exchange itself tell the operation and dialect, and a
// "kid"-signed request cannot be verified. Use a Decoder for a stream.
func Decode(e *journal.Exchange, dir *Directory) *Message {
	d := NewDecoder()
	if dir != nil {
		d.AddDirectory(dir)
	}
	return d.decode(e)
}

// AccountKey returns the key learned for the account URL kid, or nil.
func (d *Decoder) AccountKey(kid string) *Key { return d.keys[kid] }

// state is the scratch space of one decode.
type state struct {
	d       *Decoder
	e       *journal.Exchange
	m       *Message
	u       *url.URL
	fact    urlFact
	ep      endpoint
	payload map[string]json.RawMessage // members of an object payload
	resp    map[string]json.RawMessage // members of a JSON object response body
	respOK  bool                       // resp was parsed
	body    []byte                     // the response body, Content-Encoding undone
	dir     *Directory                 // the response, when it is a directory
}

// decode runs the steps in dependency order: the dialect needs the
// request's JWS and the endpoint, the operation needs the payload's
// members, typing the payload needs the operation, verification needs the
// key learned for a "kid", and the checks need all of it. It reads d's
// knowledge and never changes it; learn does that afterwards.
func (d *Decoder) decode(e *journal.Exchange) *Message {
	if e == nil {
		return &Message{Dialect: DialectUnknown, DialectBasis: BasisNone,
			Operation: OpUnknown, OperationBasis: BasisNone}
	}
	m := &Message{Seq: e.Seq, Line: e.Line, Conn: e.Conn, Start: e.Start, End: e.End,
		Method: strings.ToUpper(e.Request.Method), URL: e.Request.URL, Error: e.Error}
	s := &state{d: d, e: e, m: m}
	s.u, _ = url.Parse(e.Request.URL)
	s.readRequest()
	s.readResponseHeaders()
	s.classify()
	s.decideDialect()
	s.decideOperation()
	s.decodePayload()
	s.decodeResponse()
	s.resolveAccount()
	s.check()
	return m
}

// readRequest records the request's HTTP facts and parses its body as a
// JWS.
func (s *state) readRequest() {
	req := &s.e.Request
	s.m.Request = RequestInfo{
		ContentType:   req.Headers.Get("Content-Type"),
		UserAgent:     req.Headers.Get("User-Agent"),
		BodySize:      req.Body.Size,
		BodyTruncated: req.Body.Truncated,
	}
	if req.Body.Truncated {
		s.m.JWS = &JWS{Verification: VerifyTruncated, VerificationDetail: "truncated, not verified"}
		s.m.add(issuef(IssueBodyTruncated, "request body recorded %d of %d bytes: truncated, not verified",
			len(req.Body.Data), req.Body.Size))
		return
	}
	data, ci := contentBody(req.Body, req.Headers, IssueBodyNotJSON)
	s.m.add(ci...)
	if len(data) == 0 {
		return
	}
	j, issues := parseJWS(data)
	if j == nil {
		s.m.add(issuef(IssueBodyNotJSON, "request body is not a JWS JSON object"))
		return
	}
	s.m.JWS = j
	s.m.add(issues...)
	if j.decoded && len(j.Payload) > 0 {
		var members map[string]json.RawMessage
		if json.Unmarshal(j.Payload, &members) == nil && members != nil {
			s.payload = members
		}
	}
}

// readResponseHeaders fills the response's status and headers.
func (s *state) readResponseHeaders() {
	resp := s.e.Response
	if resp == nil {
		return
	}
	r := &Response{Status: resp.Status,
		ContentType:   resp.Headers.Get("Content-Type"),
		ReplayNonce:   resp.Headers.Get("Replay-Nonce"),
		BodySize:      resp.Body.Size,
		BodyTruncated: resp.Body.Truncated,
	}
	if !resp.Body.Truncated {
		var ci []Issue
		s.body, ci = contentBody(resp.Body, resp.Headers, IssueResponseNotJSON)
		s.m.add(ci...)
	}
	if loc := resp.Headers.Get("Location"); loc != "" {
		r.Location = resolve(s.u, loc)
	}
	links, issues := parseLinks(resp.Headers.Values("Link"), s.u)
	r.Links = links
	s.m.add(issues...)
	if v := resp.Headers.Get("Retry-After"); v != "" {
		now := s.e.End
		if t, ok := parseHTTPDate(resp.Headers.Get("Date")); ok {
			now = t
		}
		var ri []Issue
		r.RetryAfter, ri = parseRetryAfter(v, now)
		s.m.add(ri...)
	}
	s.m.Response = r
}

// responseMembers parses the response body as a JSON object, once.
func (s *state) responseMembers() map[string]json.RawMessage {
	if s.respOK {
		return s.resp
	}
	s.respOK = true
	b := s.body
	if len(b) == 0 {
		return nil
	}
	if i := firstNonSpace(b); i < 0 || b[i] != '{' {
		return nil
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(b, &members) == nil {
		s.resp = members
	}
	return s.resp
}

func firstNonSpace(b []byte) int {
	for i, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return i
		}
	}
	return -1
}
