package journal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Input shapes of HAR, lenient as the files in the wild require: optional
// members may be missing or null, numbers may be null (mitmproxy) or
// strings, headers may be {name, value} objects (browsers, mitmproxy, ZAP)
// or [name, value] arrays (Slack), and unknown members (comments, "_"
// extensions) are ignored.
type (
	harInCreator struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	harInEntry struct {
		StartedDateTime string         `json:"startedDateTime"`
		Time            harNumber      `json:"time"`
		Request         *harInRequest  `json:"request"`
		Response        *harInResponse `json:"response"`
		Error           *string        `json:"_error"`
		Ext             *harExt        `json:"_acmeproxy"`
	}
	harInRequest struct {
		Method      string         `json:"method"`
		URL         string         `json:"url"`
		HTTPVersion string         `json:"httpVersion"`
		Headers     []harInPair    `json:"headers"`
		PostData    *harInPostData `json:"postData"`
	}
	harInPostData struct {
		MimeType string      `json:"mimeType"`
		Text     *string     `json:"text"`
		Encoding string      `json:"encoding"` // not in HAR 1.2; some tools write it
		Params   []harInPair `json:"params"`
	}
	harInResponse struct {
		Status      harNumber     `json:"status"`
		HTTPVersion string        `json:"httpVersion"`
		Headers     []harInPair   `json:"headers"`
		Content     *harInContent `json:"content"`
		Error       *string       `json:"_error"`
	}
	harInContent struct {
		Size     harNumber `json:"size"`
		Text     *string   `json:"text"`
		Encoding string    `json:"encoding"`
	}
)

// harInPair is a header, query or form parameter.
type harInPair struct {
	Name, Value string
}

// UnmarshalJSON reads {"name": ..., "value": ...} or [name, value].
func (p *harInPair) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var a []*string
		if err := json.Unmarshal(b, &a); err != nil {
			return fmt.Errorf("header: %w", err)
		}
		if len(a) != 2 || a[0] == nil {
			return errors.New("header: want [name, value]")
		}
		p.Name = *a[0]
		if a[1] != nil {
			p.Value = *a[1]
		}
		return nil
	}
	var o struct {
		Name  *string `json:"name"`
		Value *string `json:"value"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if o.Name == nil {
		return errors.New("header without a name")
	}
	p.Name = *o.Name
	if o.Value != nil {
		p.Value = *o.Value
	}
	return nil
}

// harNumber is a HAR number: missing, null or "" leave it unset; a string
// holding a number is accepted.
type harNumber struct {
	v   float64
	set bool
}

// UnmarshalJSON reads a number, a numeric string, "" or null.
func (n *harNumber) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" || s == `""` {
		return nil
	}
	s = strings.Trim(s, `"`)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Errorf("%s is not a number", b)
	}
	n.v, n.set = v, true
	return nil
}

// maxHARTime bounds an entry's duration, in milliseconds (a year).
const maxHARTime = 365 * 24 * 3600 * 1000.0

// exchange maps an entry, the index-th of its file, to an Exchange.
func (in *harInEntry) exchange(index int) (*Exchange, error) {
	if in.Request == nil {
		return nil, errors.New("no request")
	}
	e := &Exchange{Seq: uint64(index), Line: index}
	var err error
	if in.StartedDateTime != "" {
		if e.Start, err = parseHARTime(in.StartedDateTime); err != nil {
			return nil, err
		}
	}
	if e.Request, err = in.Request.request(in.Ext); err != nil {
		return nil, err
	}
	if in.Ext != nil {
		return in.ours(e)
	}
	e.End = e.Start
	if in.Time.set && in.Time.v > 0 {
		if in.Time.v > maxHARTime {
			return nil, fmt.Errorf("time %g ms is out of range", in.Time.v)
		}
		e.End = e.Start.Add(time.Duration(in.Time.v * float64(time.Millisecond)))
	}
	if e.End.Year() > 9999 {
		return nil, errors.New("time: the exchange ends after the year 9999")
	}
	return in.foreignResponse(e)
}

// ours completes an exchange from an entry that acmeproxy wrote.
func (in *harInEntry) ours(e *Exchange) (*Exchange, error) {
	x := in.Ext
	e.Conn, e.Mode, e.End, e.Error = x.Conn, x.Mode, x.End, x.Error
	if x.Seq != 0 { // else keep the entry index: an Exchange's Seq is never 0
		e.Seq = x.Seq
	}
	if x.NoResponse {
		return e, nil
	}
	if in.Response == nil {
		return nil, errors.New("no response")
	}
	r, err := in.Response.response()
	if err != nil {
		return nil, err
	}
	if x.ResponseBody != nil {
		data := r.Body.Data
		r.Body = *x.ResponseBody
		if r.Body.Data == nil {
			r.Body.Data = data
		}
	}
	e.Response = r
	return e, nil
}

// foreignResponse completes an exchange from another tool's entry: status
// 0 (or no response at all) means the request failed.
func (in *harInEntry) foreignResponse(e *Exchange) (*Exchange, error) {
	if in.Response == nil || in.Response.Status.v == 0 { // missing counts as 0
		e.Error = "no response (HAR status 0)"
		for _, msg := range []*string{in.Error, responseError(in.Response)} {
			if msg != nil && *msg != "" {
				e.Error = *msg
			}
		}
		return e, nil
	}
	r, err := in.Response.response()
	if err != nil {
		return nil, err
	}
	if r.Body.Size > 0 && hasContentEncoding(r.Headers) && len(r.Body.Data) > 0 {
		r.Body.ContentDecoded = true // HAR content.text is decoded text
	}
	e.Response = r
	return e, nil
}

func responseError(r *harInResponse) *string {
	if r == nil {
		return nil
	}
	return r.Error
}

// request maps the request; x, when present, carries the exact body.
func (in *harInRequest) request(x *harExt) (Request, error) {
	r := Request{Method: in.Method, URL: in.URL, Proto: in.HTTPVersion, Headers: headersOf(in.Headers)}
	if r.Method == "" {
		return r, errors.New("request.method is missing")
	}
	if err := checkAbsolute(r.URL); err != nil {
		return r, err
	}
	data, err := in.PostData.body()
	if err != nil {
		return r, err
	}
	if x == nil {
		r.Body = NewBody(data)
		return r, nil
	}
	r.Body = x.RequestBody
	if r.Body.Data == nil {
		r.Body.Data = data
	}
	return r, nil
}

// checkAbsolute requires an absolute URL, with a host for HTTP(S).
func checkAbsolute(raw string) error {
	if raw == "" {
		return errors.New("request.url is missing")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("request.url: %w", err)
	}
	if !u.IsAbs() {
		return fmt.Errorf("request.url %q is not absolute", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ws", "wss":
		if u.Host == "" {
			return fmt.Errorf("request.url %q has no host", raw)
		}
	}
	return nil
}

// body returns the request body: postData.text (base64-decoded when a tool
// marked it so), or else the form params joined as
// application/x-www-form-urlencoded, as ZAP writes forms.
func (p *harInPostData) body() ([]byte, error) {
	if p == nil {
		return nil, nil
	}
	if p.Text != nil && *p.Text != "" {
		if p.Encoding == "base64" {
			return decodeBase64(*p.Text), nil
		}
		return []byte(*p.Text), nil
	}
	var b strings.Builder
	for i, kv := range p.Params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv.Name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv.Value))
	}
	if b.Len() == 0 {
		return nil, nil
	}
	return []byte(b.String()), nil
}

// response maps a response that has a status.
func (in *harInResponse) response() (*Response, error) {
	status := in.Status.v
	if status != math.Trunc(status) || status < 0 || status > 999 {
		return nil, fmt.Errorf("response.status %v is not an HTTP status", status)
	}
	r := &Response{Status: int(status), Proto: in.HTTPVersion, Headers: headersOf(in.Headers)}
	c := in.Content
	if c == nil || c.Text == nil {
		// Not captured (Firefox omits images, for example): keep the size.
		if c != nil && c.Size.set && c.Size.v > 0 && c.Size.v < math.MaxInt64 {
			r.Body = Body{Size: int64(c.Size.v), Truncated: true}
		}
		return r, nil
	}
	data := []byte(*c.Text)
	if c.Encoding == "base64" {
		data = decodeBase64(*c.Text)
	}
	r.Body = NewBody(data)
	return r, nil
}

// decodeBase64 decodes standard base64, padded or not, ignoring line
// breaks. Text that is not base64 is taken as it is, as ZAP does for the
// files of a Firefox version that marked plain text as base64.
func decodeBase64(text string) []byte {
	s := strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, text)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b
		}
	}
	return []byte(text)
}

// headersOf maps HAR pairs to Headers, in order.
func headersOf(pairs []harInPair) Headers {
	if len(pairs) == 0 {
		return nil
	}
	h := make(Headers, len(pairs))
	for i, p := range pairs {
		h[i] = Field{Name: p.Name, Value: p.Value}
	}
	return h
}

// hasContentEncoding reports a Content-Encoding other than identity.
func hasContentEncoding(h Headers) bool {
	for _, v := range h.Values("Content-Encoding") {
		if v = strings.TrimSpace(v); v != "" && !strings.EqualFold(v, "identity") {
			return true
		}
	}
	return false
}
