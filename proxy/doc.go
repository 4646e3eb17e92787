// Package proxy is acmeproxy's recording forward proxy: an HTTP/1.1 proxy
// that intercepts (MITM) TLS only for the CA's hosts and hands every
// exchange it sees to a sink, typically journal.Writer.Append.
//
// goproxy accepts nothing the proxy does not hand it: it tunnels the
// CONNECTs that are not intercepted and forwards plain-HTTP requests. An
// intercepted connection is served by the proxy's own loop (serveMITM):
// TLS with a leaf for the target, then one request after another on one
// goroutine, each forwarded, recorded and answered before the next is
// read. Upstream requests go out on the same goroutine over the proxy's
// own pool of HTTP/1.1 connections (upstream), shared by all clients;
// net/http.Transport remains for what that pool does not take (an
// upstream proxy, request bodies over the cap, Expect, upgrades).
//
// # Scope
//
// A CONNECT is intercepted when its target is in scope: the host:port of
// Config.Upstream, any Config.Intercept entry (a bare host matches every
// port), and hosts learned from intercepted responses: https URLs in
// Location and Link headers, and the top-level URL values of a directory
// object (a JSON object with newNonce or new-reg; its "meta" member, which
// points at terms of service and websites, is not followed). Every other
// CONNECT is tunnelled untouched and never recorded. Plain-HTTP requests
// (for example a client's own check of /.well-known/acme-challenge/TOKEN)
// are forwarded and recorded with Mode "http"; intercepted ones have Mode
// "mitm".
//
// # Transparency
//
// The client receives the upstream status, headers and body bytes
// unchanged, with their framing: the response is written as goproxy
// writes it (http.Response.Write of the upstream response, so
// Content-Length is kept; chunked only when upstream sent no length;
// "Connection: close" when either side asked for it), and requests are
// sent as net/http.Transport sends them (http.Request.Write; no
// User-Agent added, hop-by-hop Connection and Proxy-* headers removed as
// goproxy removes them). A client's "Expect: 100-continue" gets its 100
// when the body is read. The client's Accept-Encoding is forwarded and
// nothing is decompressed. HEAD and 204 responses stay bodiless. Header fidelity is
// semantic, not byte-exact: Go's parsers canonicalise header names and
// keep no order across names, so recorded headers are sorted by name with
// each name's values in received order (the request's Host comes first);
// hop-by-hop and Proxy-* request headers are recorded as the client sent
// them but not forwarded.
//
// # Durability
//
// A response whose body fits in Config.BodyCap is read whole from upstream
// (ACME bodies are small), recorded, and released to the client only once
// the sink has returned, so with a synchronous journal every response the
// client saw is on disk. A larger body is streamed to the client as it
// arrives and recorded truncated, with the size and SHA-256 of the whole
// body, once the stream ends: for those the record follows the release.
//
// # Failures
//
// When upstream cannot be reached (refused, DNS, TLS, timeout) the client
// receives a 502 application/problem+json with type ProblemUpstream whose
// detail names the cause, and the sink gets the exchange with Error set and
// no Response. If the sink fails, the upstream response is withheld and the
// client receives a 502 of type ProblemRecording: nothing passes unrecorded.
//
// The package reads no environment variables and knows nothing of ACME
// beyond recognising a directory object to learn hosts from; decoding is
// package decode's job.
package proxy
