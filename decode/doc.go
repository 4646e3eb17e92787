// Package decode turns recorded HTTP exchanges into typed ACME messages.
//
// A Decoder reads a journal.Exchange and returns a *Message: the dialect
// (pre-RFC "v1" as Boulder served it, or RFC 8555 "v2"), the Operation the
// request performs (account creation, new order, challenge trigger, …), the
// JWS with its protected header, its signature checked over the strings the
// client actually sent and the signing key's RFC 7638 thumbprint, the
// payload typed per operation (including a parsed CSR), and the response
// typed per operation (directory, account, order, authorization, challenge,
// problem document, certificate chain, renewal information) with the
// headers ACME relies on: Location, Link, Replay-Nonce and Retry-After.
//
// Malformed traffic is a result, not a failure. Every protocol fault the
// decoder recognises (a bad signature, "alg":"none", a missing nonce, a
// "url" that differs from the request URL, padded base64, a POST-as-GET
// carrying a payload, and so on; acme-reference.md §2 and §11) becomes an
// Issue on the message, with a stable IssueCode and a citation, and
// decoding goes on. Decode never returns an error and never panics on
// hostile input; the fuzz targets hold it to that.
//
// # Knowledge
//
// What an exchange means depends on what came before it: a v2 request
// signed with "kid" can only be verified with the key the account was
// created with, and an authorization URL is only known to be one because an
// order listed it. A Decoder therefore learns as it goes, in the order the
// exchanges were recorded: directories (their URLs and dialect), URLs named
// by Location and Link headers and by resource bodies, challenge tokens,
// and account keys (kid → JWK, updated by a successful key change). URL
// knowledge comes first, path shapes only as a fallback (Pebble uses odd
// paths on purpose, acme-reference.md §10.3). All of it is held in the
// Decoder value; the package has no global state. For a single exchange
// with nothing but a directory known, use the function Decode.
//
// # What it does not do
//
// decode does no I/O and keeps no clock: times come from the exchange. It
// does not follow accounts, orders and authorizations over time or judge
// a flow (package flow does), and it does not grade findings (package
// rules does). It neither fetches a missing directory nor guesses a key it
// has not seen: such a signature is reported as not verified, with the
// reason.
//
// Place in the pipeline: journal (recorded exchanges) ► decode ► flow ►
// rules ► reports.
package decode
