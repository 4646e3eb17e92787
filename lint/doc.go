// Package lint runs the whole offline chain over recordings: it opens
// journals and HAR files, decodes their exchanges, folds them into one flow
// ledger in time order and evaluates a rule set over the ledger's subjects.
// Exchange rules run in batches as the exchanges stream past, so memory
// holds the ledger's open state, not the recordings; the other subjects
// are judged once the recordings end.
//
// The clock is the recordings': rules see the time of the last exchange as
// "now", never the wall clock, so a recording is judged by the policy of
// its own date. Options can judge it as of another date or CA instead.
package lint
