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
// Package flow does not judge. Package rules evaluates YAML rules over the
// objects it exposes (Account, Authz, Order, Issuance, Certificate,
// Exchange, Session), whose exported fields and methods are the rule
// language's vocabulary.
package flow
