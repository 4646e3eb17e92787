// Package lint runs the whole offline chain over recordings: it opens
// journals and HAR files, decodes their exchanges, folds them into one flow
// ledger in time order and evaluates a rule set over the ledger's subjects.
// Exchange rules run in batches as the exchanges stream past; an account
// that the traffic has left alone for a while is judged with its objects
// and forgotten, with the findings a run that keeps everything to the end
// would give (see Run), so memory holds the ledger's open state, not the
// recordings. Reading, decoding and judging overlap on three goroutines.
// The report reads the exchanges it cites again, without decoding them,
// and is bounded (see Result.Report).
//
// The clock is the recordings': rules see the time of the last exchange as
// "now", never the wall clock, so a recording is judged by the policy of
// its own date. Options can judge it as of another date or CA instead.
package lint
