package acmetest

import (
	"encoding/binary"
	"encoding/json"
	"time"

	"github.com/acmeproxy/acmeproxy/journal"
)

// Flow accumulates a constructed conversation.
type Flow struct {
	Base time.Time
	xs   []Exchange
	n    uint32
}

// NewFlow starts a flow at a fixed time.
func NewFlow() *Flow { return &Flow{Base: time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)} }

// Nonce returns the next server nonce, base64url.
func (f *Flow) Nonce() string {
	f.n++
	var b [12]byte
	binary.BigEndian.PutUint32(b[8:], f.n)
	copy(b[:8], "acmenonc")
	return B64(b[:])
}

// Add appends an exchange.
func (f *Flow) Add(x Exchange) { f.xs = append(f.xs, x) }

// Exchanges numbers and times the flow's exchanges from 1.
func (f *Flow) Exchanges() []*journal.Exchange {
	out := make([]*journal.Exchange, len(f.xs))
	for i, x := range f.xs {
		out[i] = x.Build(uint64(i+1), f.Base)
	}
	return out
}

// JSON marshals v or panics.
func JSON(v any) []byte {
	b, err := json.Marshal(v)
	must(err)
	return b
}

// Post is a signed POST answered with status, headers and a JSON body.
func (f *Flow) Post(url string, body []byte, status int, respBody []byte, respHeaders ...string) {
	ct := "application/json"
	if status >= 400 {
		ct = "application/problem+json"
	}
	h := append([]string{"Content-Type", ct, "Replay-Nonce", f.Nonce()}, respHeaders...)
	f.Add(Exchange{Method: "POST", URL: url, ReqHeaders: ClientHeaders(), ReqBody: body,
		Status: status, RespHeader: Headers(h...), RespBody: respBody})
}

// Get is an unauthenticated GET.
func (f *Flow) Get(url string, status int, ct string, respBody []byte, respHeaders ...string) {
	h := respHeaders
	if ct != "" {
		h = append([]string{"Content-Type", ct}, respHeaders...)
	}
	f.Add(Exchange{Method: "GET", URL: url, ReqHeaders: Headers("User-Agent", "acmetest/1.0"),
		Status: status, RespHeader: Headers(h...), RespBody: respBody})
}
