package journal

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Output shapes of HAR 1.2: every member the specification requires is
// written, in the specification's order.
type (
	harOutLog struct {
		Version string     `json:"version"`
		Creator harCreator `json:"creator"`
		Comment string     `json:"comment,omitempty"`
		Ext     Header     `json:"_acmeproxy"`
	}
	harCreator struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	harOutEntry struct {
		StartedDateTime string         `json:"startedDateTime"`
		Time            float64        `json:"time"`
		Request         harOutRequest  `json:"request"`
		Response        harOutResponse `json:"response"`
		Cache           struct{}       `json:"cache"`
		Timings         harOutTimings  `json:"timings"`
		Connection      string         `json:"connection,omitempty"`
		Ext             harExt         `json:"_acmeproxy"`
	}
	harOutRequest struct {
		Method      string          `json:"method"`
		URL         string          `json:"url"`
		HTTPVersion string          `json:"httpVersion"`
		Cookies     []struct{}      `json:"cookies"`
		Headers     []harOutPair    `json:"headers"`
		QueryString []harOutPair    `json:"queryString"`
		PostData    *harOutPostData `json:"postData,omitempty"`
		HeadersSize int             `json:"headersSize"`
		BodySize    int64           `json:"bodySize"`
	}
	harOutPair struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	harOutPostData struct {
		MimeType string `json:"mimeType"`
		Text     string `json:"text"`
	}
	harOutResponse struct {
		Status      int           `json:"status"`
		StatusText  string        `json:"statusText"`
		HTTPVersion string        `json:"httpVersion"`
		Cookies     []struct{}    `json:"cookies"`
		Headers     []harOutPair  `json:"headers"`
		Content     harOutContent `json:"content"`
		RedirectURL string        `json:"redirectURL"`
		HeadersSize int           `json:"headersSize"`
		BodySize    int64         `json:"bodySize"`
		Error       string        `json:"_error,omitempty"`
	}
	harOutContent struct {
		Size     int64  `json:"size"`
		MimeType string `json:"mimeType"`
		Text     string `json:"text"`
		Encoding string `json:"encoding,omitempty"`
		Comment  string `json:"comment,omitempty"`
	}
	harOutTimings struct {
		Blocked float64 `json:"blocked"`
		DNS     float64 `json:"dns"`
		Connect float64 `json:"connect"`
		Send    float64 `json:"send"`
		Wait    float64 `json:"wait"`
		Receive float64 `json:"receive"`
		SSL     float64 `json:"ssl"`
	}
)

// WriteHAR writes h and the exchanges as one HAR 1.2 document to w. It
// streams: the envelope is written by hand and each entry is encoded and
// written as it comes, one per line, so memory stays bounded by one
// exchange. An error yielded by exchanges stops the export and is returned
// wrapped; w then holds an incomplete document.
func WriteHAR(w io.Writer, h Header, exchanges iter.Seq2[*Exchange, error]) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	head, err := marshalNoEscape(harOutLog{
		Version: harVersion,
		Creator: creatorOf(h),
		Comment: "Written by acmeproxy. The _acmeproxy members keep what HAR cannot hold (binary request bodies, sequence, connection, exact times).",
		Ext:     h,
	})
	if err != nil {
		return fmt.Errorf("journal: encoding HAR log: %w", err)
	}
	// Reopen the log object to append the entries array to it.
	bw.WriteString(`{"log":`)
	bw.Write(head[:len(head)-1])
	bw.WriteString(`,"entries":[`)
	n := 0
	for e, err := range exchanges {
		if err != nil {
			bw.Flush()
			return fmt.Errorf("journal: writing HAR: %w", err)
		}
		b, err := marshalNoEscape(harEntryOf(e))
		if err != nil {
			return fmt.Errorf("journal: encoding HAR entry for exchange %d: %w", e.Seq, err)
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("journal: writing HAR: %w", err)
		}
		n++
	}
	bw.WriteString("\n]}}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("journal: writing HAR: %w", err)
	}
	return nil
}

// marshalNoEscape encodes v as JSON without escaping <, > and &, which
// keeps bodies readable in the HAR; the result has no trailing newline.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// creatorOf names acmeproxy as the HAR's creator, with the version from
// h.Tool when acmeproxy wrote the journal.
func creatorOf(h Header) harCreator {
	c := harCreator{Name: "acmeproxy"}
	if v, ok := strings.CutPrefix(h.Tool, "acmeproxy "); ok {
		c.Version = v
	}
	return c
}

// harEntryOf maps one exchange to a HAR entry.
func harEntryOf(e *Exchange) harOutEntry {
	ms := 0.0
	if d := e.End.Sub(e.Start); d > 0 {
		ms = float64(d) / float64(time.Millisecond)
	}
	out := harOutEntry{
		StartedDateTime: e.Start.Format(time.RFC3339Nano),
		Time:            ms,
		Request:         harRequestOf(&e.Request),
		Timings:         harOutTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1, Wait: ms},
		Ext: harExt{
			Seq: e.Seq, Conn: e.Conn, Mode: e.Mode, End: e.End, Error: e.Error,
			RequestBody: e.Request.Body,
		},
	}
	if e.Conn != 0 {
		out.Connection = strconv.FormatUint(e.Conn, 10)
	}
	if utf8.Valid(e.Request.Body.Data) {
		// A JSON string carries valid UTF-8 exactly, control characters
		// included (escaped): postData.text holds the body.
		out.Ext.RequestBody.Data = nil
	}
	if e.Response == nil {
		out.Ext.NoResponse = true
		out.Response = harOutResponse{
			Cookies: []struct{}{}, Headers: []harOutPair{},
			HeadersSize: -1, BodySize: -1, Error: e.Error,
		}
		return out
	}
	out.Response = harResponseOf(e.Response)
	rb := e.Response.Body
	rb.Data = nil // in content.text
	out.Ext.ResponseBody = &rb
	return out
}

// harRequestOf maps a request; the body goes to postData.text, which is
// exact for UTF-8 bodies (others are also kept in _acmeproxy).
func harRequestOf(r *Request) harOutRequest {
	out := harOutRequest{
		Method:      r.Method,
		URL:         r.URL,
		HTTPVersion: r.Proto,
		Cookies:     []struct{}{},
		Headers:     harPairs(r.Headers),
		QueryString: queryPairs(r.URL),
		HeadersSize: -1,
		BodySize:    r.Body.Size,
	}
	if r.Body.Size > 0 || len(r.Body.Data) > 0 {
		out.PostData = &harOutPostData{
			MimeType: r.Headers.Get("Content-Type"),
			Text:     strings.ToValidUTF8(string(r.Body.Data), "\uFFFD"),
		}
	}
	return out
}

// harResponseOf maps a response; binary bodies are base64 in content.text.
func harResponseOf(r *Response) harOutResponse {
	out := harOutResponse{
		Status:      r.Status,
		StatusText:  http.StatusText(r.Status),
		HTTPVersion: r.Proto,
		Cookies:     []struct{}{},
		Headers:     harPairs(r.Headers),
		RedirectURL: r.Headers.Get("Location"),
		HeadersSize: -1,
		BodySize:    r.Body.Size,
		Content: harOutContent{
			Size:     r.Body.Size,
			MimeType: r.Headers.Get("Content-Type"),
		},
	}
	data := r.Body.Data
	if isText(data) {
		out.Content.Text = string(data)
	} else {
		out.Content.Text = base64.StdEncoding.EncodeToString(data)
		out.Content.Encoding = "base64"
	}
	if r.Body.Truncated {
		out.Content.Comment = fmt.Sprintf("truncated: %d of %d bytes recorded", len(data), r.Body.Size)
	}
	return out
}

// harPairs maps headers to HAR name/value pairs, in order.
func harPairs(h Headers) []harOutPair {
	out := make([]harOutPair, len(h))
	for i, f := range h {
		out[i] = harOutPair{Name: f.Name, Value: f.Value}
	}
	return out
}

// queryPairs lists the query parameters of rawURL in order, unescaped
// where they can be.
func queryPairs(rawURL string) []harOutPair {
	out := []harOutPair{}
	u, err := url.Parse(rawURL)
	if err != nil || u.RawQuery == "" {
		return out
	}
	for part := range strings.SplitSeq(u.RawQuery, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		out = append(out, harOutPair{Name: unescapeQuery(name), Value: unescapeQuery(value)})
	}
	return out
}

func unescapeQuery(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}
