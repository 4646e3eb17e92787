// Package flow keeps the ledger of what recorded ACME traffic proves about
// each account: its authorizations and their challenges, its orders, the
// CSRs it submitted and the certificates it received, each with the
// lifecycle events that moved it and the exchanges that prove each event.
//
// The ledger is built only from the traffic (acme-reference.md §10). An
// object is keyed by its URL, so a URL that comes back — a v1 pending
// authorization recycled by new-authz, a valid one reused, a v2 order
// reused by newOrder — is one object that was handed back, not a new one.
// Status is learned from every response that shows it: an authorization's
// own body, the bodies of its challenges, the status of an order. A missing
// poll means the status is unknown, never that it failed.
//
// Time-dependent facts are taken when they happen: a v1 new-cert is judged
// against the authorizations that were valid and unexpired at that moment,
// and the result is kept on the Issuance.
//
// Memory: a ledger keeps what it has seen until told otherwise. A caller
// streaming a long recording closes (Close) and evicts (Evict) the
// accounts Idle names, after judging them, so that the ledger holds the
// open state only; it notes any later traffic about an evicted account
// (Revivals), which the caller answers by running again with KeepAlive
// (see evict.go and lint.Run). What stays for the whole recording is
// small: a 64-bit hash per nonce sent and per identity of an evicted
// account, and the sessions.
//
// Package flow does not judge. Package rules evaluates YAML rules over the
// objects it exposes (Account, Authz, Order, Issuance, Certificate,
// Exchange, Session), whose exported fields and methods are the rule
// language's vocabulary.
package flow
