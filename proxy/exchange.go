package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/elazarl/goproxy"

	"github.com/acmeproxy/acmeproxy/journal"
)

// exchange is one request on its way through the proxy. newExchange
// creates it and captures the request; roundTrip forwards, records and
// releases the response.
type exchange struct {
	p      *Proxy
	rec    journal.Exchange
	reqTap *bodyTap // set when the request body is larger than the cap
}

// tunnel is the metadata of an intercepted CONNECT that each request made
// inside it carries.
type tunnel struct {
	conn   uint64
	target string
}

// onRequest is the goproxy request hook, for plain-HTTP requests
// (intercepted connections are served by serveMITM).
func (p *Proxy) onRequest(req *http.Request, ctx *goproxy.ProxyCtx) (*http.Request, *http.Response) {
	x, resp := p.newExchange(req, nil)
	if resp != nil {
		return req, resp
	}
	ctx.RoundTripper = x
	return req, nil
}

// newExchange starts the exchange of req, made inside t (nil for plain
// HTTP), and captures its request. When the request body cannot be read
// it records the failure and returns the problem response to send.
func (p *Proxy) newExchange(req *http.Request, t *tunnel) (*exchange, *http.Response) {
	x := &exchange{p: p}
	x.rec.Start = time.Now().UTC()
	x.rec.Mode, x.rec.Conn = ModeHTTP, connID(req.Context())
	if t != nil {
		x.rec.Mode, x.rec.Conn = ModeMITM, t.conn
	}
	x.rec.Request = journal.Request{
		Method:  req.Method,
		URL:     req.URL.String(),
		Proto:   req.Proto,
		Headers: requestHeaders(req),
	}
	if err := x.captureRequestBody(req); err != nil {
		x.rec.End = time.Now().UTC()
		x.rec.Error = err.Error()
		_ = p.record(&x.rec)
		return x, problemResponse(req, http.StatusBadRequest, ProblemBadRequest, "request body unreadable",
			fmt.Sprintf("acmeproxy could not read the request body: %v", err))
	}
	return x, nil
}

// captureRequestBody reads the request body (up to the cap) before it is
// forwarded and puts an equivalent body back: Body, GetBody and
// ContentLength stay consistent. A body over the cap is tapped as it is
// forwarded instead.
func (x *exchange) captureRequestBody(req *http.Request) error {
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	orig := req.Body
	limit := x.p.cfg.BodyCap
	buf, err := readUpTo(orig, req.ContentLength, limit)
	if err != nil {
		return fmt.Errorf("reading request body: %w", err)
	}
	if int64(len(buf)) > limit {
		x.reqTap = newBodyTap(limit)
		_, _ = x.reqTap.Write(buf)
		req.Body = readCloser{io.MultiReader(bytes.NewReader(buf), io.TeeReader(orig, x.reqTap)), orig}
		req.GetBody = nil
		return nil
	}
	x.rec.Request.Body = journal.NewBody(buf)
	req.Body = readCloser{bytes.NewReader(buf), orig}
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
	if req.ContentLength >= 0 {
		req.ContentLength = int64(len(buf))
	}
	return nil
}

// RoundTrip is the goproxy RoundTripper of a plain-HTTP exchange.
func (x *exchange) RoundTrip(req *http.Request, _ *goproxy.ProxyCtx) (*http.Response, error) {
	return x.roundTrip(req), nil
}

// roundTrip forwards req upstream and returns the response to give the
// client: upstream's, once recorded, or a synthetic problem. It never
// fails, so the client always gets an answer. The exchange stays in
// flight, holding Shutdown back, until the response has been written and
// its body closed.
func (x *exchange) roundTrip(req *http.Request) *http.Response {
	p := x.p
	if !p.flight.begin() {
		return problemResponse(req, http.StatusServiceUnavailable, ProblemShuttingDown, "shutting down",
			"acmeproxy is shutting down; the request was not forwarded")
	}
	resp := x.forward(req)
	resp.Body = &flightBody{ReadCloser: resp.Body, end: p.flight.end}
	return resp
}

// forward sends req upstream and returns what the client should receive.
func (x *exchange) forward(req *http.Request) *http.Response {
	limit := x.p.cfg.BodyCap
	// "Connection: close" from the client is about the client's connection
	// (RFC 9110 §7.6.1); the upstream connection stays open for reuse.
	out := *req
	out.Close = false
	if _, ok := req.Header["User-Agent"]; !ok {
		// Without this net/http would add "Go-http-client/1.1": a request
		// without a User-Agent must reach the CA without one (RFC 8555
		// §6.1 makes it a MUST, and the CA's answer is what we record).
		out.Header = req.Header.Clone()
		out.Header["User-Agent"] = []string{""}
	}
	var resp *http.Response
	var err error
	if x.p.up.takes(&out, x.reqTap == nil) {
		resp, err = x.p.up.roundTrip(&out)
	} else {
		// Intercepted requests were read with no context: Shutdown must be
		// able to cancel them. Plain-HTTP ones have the server's, which
		// derives from abortCtx already.
		tr := &out
		if tr.Context().Done() == nil {
			tr = tr.WithContext(x.p.abortCtx)
		}
		resp, err = x.p.tr.RoundTrip(tr)
	}
	var body []byte
	if err == nil && !oversized(resp, limit) {
		body, err = readUpTo(resp.Body, resp.ContentLength, limit)
		if err != nil {
			resp.Body.Close()
			err = fmt.Errorf("reading upstream response body: %w", err)
		}
	}
	switch {
	case err != nil:
		return x.upstreamFailed(req, err)
	case oversized(resp, limit) || int64(len(body)) > limit:
		return x.stream(req, resp, body)
	default:
		resp.Body.Close()
		return x.release(req, resp, body)
	}
}

// oversized reports a response whose declared body is larger than limit.
func oversized(resp *http.Response, limit int64) bool {
	return resp.Body != http.NoBody && resp.ContentLength > limit
}

// release records the exchange and, once the record is durable, hands the
// response back with its body restored.
func (x *exchange) release(req *http.Request, resp *http.Response, body []byte) *http.Response {
	x.rec.End = time.Now().UTC()
	x.rec.Response = &journal.Response{
		Status:  resp.StatusCode,
		Proto:   resp.Proto,
		Headers: responseHeaders(resp),
		Body:    journal.NewBody(body),
	}
	x.finishRequestBody()
	if err := x.p.record(&x.rec); err != nil {
		return problemResponse(req, http.StatusBadGateway, ProblemRecording, "recording failed",
			fmt.Sprintf("acmeproxy could not record the exchange, so the response from %s was withheld: %v", req.URL.Host, err))
	}
	if x.rec.Mode == ModeMITM {
		x.p.learn(req, resp, body)
	}
	if len(body) == 0 {
		resp.Body = http.NoBody
	} else {
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	return resp
}

// upstreamFailed records a failed exchange and returns the 502 problem.
func (x *exchange) upstreamFailed(req *http.Request, err error) *http.Response {
	cause := upstreamCause(err)
	x.rec.End = time.Now().UTC()
	x.rec.Error = fmt.Sprintf("%s: %v", cause, err)
	x.finishRequestBody()
	_ = x.p.record(&x.rec) // logged; the client learns of the failure either way
	return problemResponse(req, http.StatusBadGateway, ProblemUpstream, cause,
		fmt.Sprintf("acmeproxy got no response from %s: %s (%v)", req.URL.Host, cause, err))
}

// stream returns resp with a body that forwards the upstream body as it
// arrives (after prefix, the part already read) and records the exchange,
// truncated at the cap, when the stream ends.
func (x *exchange) stream(req *http.Request, resp *http.Response, prefix []byte) *http.Response {
	tap := newBodyTap(x.p.cfg.BodyCap)
	_, _ = tap.Write(prefix)
	upstream := resp.Body
	headers := responseHeaders(resp) // before goproxy rewrites any framing header
	resp.Body = &streamBody{
		r:        io.MultiReader(bytes.NewReader(prefix), io.TeeReader(upstream, tap)),
		upstream: upstream,
		done: func(err error) {
			x.rec.End = time.Now().UTC()
			x.rec.Response = &journal.Response{
				Status: resp.StatusCode, Proto: resp.Proto,
				Headers: headers, Body: tap.body(),
			}
			if err != nil {
				x.rec.Error = fmt.Sprintf("streaming response body: %v", err)
			}
			x.finishRequestBody()
			_ = x.p.record(&x.rec)
		},
	}
	if x.rec.Mode == ModeMITM {
		x.p.learn(req, resp, nil)
	}
	return resp
}

// finishRequestBody fills in a tapped request body once forwarding is over.
func (x *exchange) finishRequestBody() {
	if x.reqTap != nil {
		x.rec.Request.Body = x.reqTap.body()
	}
}
