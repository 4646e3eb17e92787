// Package bigjournal builds large journals for benchmarks by replaying
// real recordings (examples/recordings) under many accounts.
//
// Each copy of a recording is a recording of its own that the decoder
// accepts exactly as it accepts the original: every JWS is re-signed with
// a key of the copy's own (same type and size as the original account
// key), every URL of an object the CA created (account, order,
// authorization, challenge, finalize, certificate) and every challenge
// token and nonce get a per-copy suffix, so that copies never share an
// object, and a CSR that was signed with the account key is signed again
// with the copy's key. Everything else — the directory and its endpoints,
// headers, problem documents, timing within the copy, certificates — is
// the original's. Copies start Spacing apart and are merged in time
// order, so that many accounts are active at once as behind a busy proxy;
// sequence numbers are dense and connection ids are unique per copy.
//
// RSA keys (the v1 recordings' accounts) would take about 0.1 s each to
// generate, so each copy's RSA key is the product of a distinct pair of
// primes from a pool: k primes give k(k−1)/2 distinct moduli (200 primes,
// about 15 s of generation, cover 19,900 copies). Keys share primes
// across copies, which would be fatal for real keys and is irrelevant for
// a benchmark: only distinct thumbprints and valid signatures matter.
// ECDSA keys are cheap and generated one per copy.
//
// The package is for benchmarks and tests; it is internal so that nobody
// mistakes its output for traffic.
package bigjournal
