package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
)

// Problem types of the synthetic responses the proxy itself sends. They are
// not ACME error types (RFC 8555 §6.7): a client shows the detail, and the
// journal marks these exchanges with Error so they are never taken for CA
// output.
const (
	// ProblemUpstream: the upstream could not be reached or failed before
	// sending a complete response (status 502).
	ProblemUpstream = "urn:acmeproxy:error:upstream"
	// ProblemRecording: the exchange could not be recorded, so the
	// upstream response was withheld (status 502).
	ProblemRecording = "urn:acmeproxy:error:recording"
	// ProblemShuttingDown: the proxy is stopping (status 503).
	ProblemShuttingDown = "urn:acmeproxy:error:shuttingDown"
	// ProblemBadRequest: the client's request body could not be read
	// (status 400).
	ProblemBadRequest = "urn:acmeproxy:error:badRequest"
)

// problem is an RFC 7807 problem document with a short machine-readable
// cause.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Cause  string `json:"cause,omitempty"`
}

// problemResponse builds the synthetic response for req.
func problemResponse(req *http.Request, status int, typ, cause, detail string) *http.Response {
	body, _ := json.Marshal(problem{
		Type: typ, Title: "acmeproxy: " + http.StatusText(status),
		Status: status, Detail: detail, Cause: cause,
	})
	h := http.Header{}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// upstreamCause names the kind of an upstream failure in a few words.
func upstreamCause(err error) string {
	var (
		dnsErr  *net.DNSError
		unknown x509.UnknownAuthorityError
		invalid x509.CertificateInvalidError
		host    x509.HostnameError
		recErr  tls.RecordHeaderError
		certErr *tls.CertificateVerificationError
		netErr  net.Error
	)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &dnsErr):
		return "DNS lookup failed"
	case errors.As(err, &unknown), errors.As(err, &invalid), errors.As(err, &host), errors.As(err, &certErr):
		return "TLS certificate verification failed"
	case errors.As(err, &recErr):
		return "TLS handshake failed (not a TLS server?)"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by upstream"
	}
	return "upstream request failed"
}
