// Package live lints ACME traffic while the proxy records it: the live
// feeder of the one engine whose offline feeder is package lint.
//
// An Engine takes each exchange after the journal has made it durable,
// decodes it, folds it into a flow.Ledger and evaluates the exchange rules
// at once, reporting findings through a callback. Flow-level findings
// mostly need the end of the session; the one that matters while a client
// is still running, an authorization left pending (acme-reference.md
// §10.4), is reported early as a provisional "likely orphaned" finding
// once it has been pending for Config.OrphanAfter with no trigger, and
// withdrawn at once if a trigger, deactivation or final status follows.
//
// At the end, Close lints the journal file with lint.Run: the offline
// lint is the final truth, and every provisional finding is reconciled
// with it (confirmed or withdrawn, with the reason).
//
// It does not record (package journal does), serve metrics (package
// telemetry does, through the Observer interface) or render reports.
// Nothing but the command imports it.
package live
