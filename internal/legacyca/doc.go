// Package legacyca is a small, in-process ACME v1 certificate authority that
// behaves like Boulder's pre-RFC API (the "acme-v01" endpoint Let's Encrypt
// ran from 2015 to June 2021). No ACME v1 CA exists any more, so acmeproxy
// keeps this one to record, decode and lint real v1 clients in tests.
//
// What it serves (see acme-reference.md §3.1, §4, §6–§8; paths follow the
// 2015 – July 2019 shapes of §4.1):
//
//	GET  /directory                  v1 directory, one random key per CA
//	GET  /terms                      302 to the terms of service
//	POST /acme/new-reg               201 + Location, or 409 for a known key
//	POST /acme/reg/<int>             contact/agreement update, deactivation
//	POST /acme/new-authz             201; pending recycling, valid reuse, 429 cap
//	GET  /acme/authz/<id>            200 (404 once expired)
//	POST /acme/authz/<id>            deactivation
//	GET  /acme/challenge/<id>/<int>  202 (like Boulder)
//	POST /acme/challenge/<id>/<int>  202, then asynchronous validation
//	POST /acme/new-cert              201, DER leaf, Link rel="up"
//	GET  /acme/cert/<serial>         DER leaf
//	GET  /acme/issuer-cert           DER intermediate
//	POST /acme/revoke-cert           200
//	POST /acme/key-change            200, Boulder's v1 rollover format
//
// Every response carries a fresh single-use Replay-Nonce; there is no nonce
// endpoint. Requests are flattened JWS with the account key embedded as
// "jwk" in the protected header; "kid" is refused, "url" is ignored (as
// Boulder did on v1, although golang.org/x/crypto/acme sent it), an
// unprotected "header" member is tolerated and not read, and the payload's
// "resource" member must name the endpoint. Errors are RFC 7807 problem
// documents with "urn:acme:error:" types.
//
// http-01 validation is real: the CA fetches
// http://<name>:<Config.HTTPPort>/.well-known/acme-challenge/<token> through
// Config.DialContext, so a test can point every name at a loopback server.
// dns-01 is validated through Config.LookupTXT. Time comes from Config.Now,
// so expiry can be tested without waiting.
//
// What it deliberately does not do: persist anything (state lives in
// memory for the life of the CA), OCSP, CRLs, CAA checks, the
// failed-validation and certificates-per-domain rate limits, tls-sni-01 or
// tls-alpn-01 validation, and the "-v3" authorization paths Boulder used from
// July 2019. It is a test fixture, not a CA to trust: its root key is
// generated in memory and thrown away with it.
//
// Place in the pipeline: none. legacyca is the upstream that the proxy
// records in end-to-end tests of the v1 dialect; nothing in acmeproxy's
// production code imports it.
package legacyca
