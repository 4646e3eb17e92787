package acmetest

import (
	"time"

	"github.com/acmeproxy/acmeproxy/journal"
)

// Headers builds header fields from name, value pairs.
func Headers(kv ...string) journal.Headers {
	h := make(journal.Headers, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, journal.Field{Name: kv[i], Value: kv[i+1]})
	}
	return h
}

// Exchange is a request and response under construction.
type Exchange struct {
	Method     string
	URL        string
	ReqHeaders journal.Headers
	ReqBody    []byte
	Status     int
	RespHeader journal.Headers
	RespBody   []byte
	// TruncateRequest, when positive, keeps only that many request body
	// bytes and marks the body truncated, as the recorder's cap would.
	TruncateRequest int
}

// ClientHeaders are what a well-behaved client sends with a POST.
func ClientHeaders() journal.Headers {
	return Headers("User-Agent", "acmetest/1.0", "Content-Type", "application/jose+json")
}

// Build returns the journal exchange, numbered seq and timed at base plus
// seq seconds.
func (x Exchange) Build(seq uint64, base time.Time) *journal.Exchange {
	start := base.Add(time.Duration(seq) * time.Second)
	e := &journal.Exchange{
		Seq: seq, Conn: 1, Mode: "mitm", Start: start, End: start.Add(20 * time.Millisecond),
		Request: journal.Request{Method: x.Method, URL: x.URL, Proto: "HTTP/1.1",
			Headers: x.ReqHeaders, Body: journal.NewBody(x.ReqBody)},
		Line: int(seq) + 1,
	}
	if n := x.TruncateRequest; n > 0 && n < len(x.ReqBody) {
		e.Request.Body.Data, e.Request.Body.Truncated = e.Request.Body.Data[:n], true
	}
	if e.Request.Headers == nil {
		e.Request.Headers = Headers("User-Agent", "acmetest/1.0")
	}
	if x.Status != 0 {
		e.Response = &journal.Response{Status: x.Status, Proto: "HTTP/1.1",
			Headers: x.RespHeader, Body: journal.NewBody(x.RespBody)}
		if e.Response.Headers == nil {
			e.Response.Headers = journal.Headers{}
		}
	}
	return e
}
