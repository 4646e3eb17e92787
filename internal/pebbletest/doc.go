// Package pebbletest runs Pebble, Let's Encrypt's test ACME server, inside
// a Go test: the real WFE, CA and VA from github.com/letsencrypt/pebble/v2
// served over TLS by httptest on a random loopback port.
//
// HTTP-01 validation is real and works for any name: Start runs a tiny DNS
// server that answers every A query with 127.0.0.1 (and every AAAA query
// with nothing), points Pebble's VA at it, and points the VA's HTTP port at
// a ChallengeServer the test fills with Set(token, keyAuthorization).
//
// Pebble reads PEBBLE_* environment variables inside its constructors
// (nonce rejection, VA sleeps, authorization reuse). Start sets them from
// Options under a package mutex for the duration of the constructor calls
// and restores them afterwards, so Servers can be started from parallel
// tests; nothing else in the process should read those variables. By
// default nonces are never rejected, the VA never sleeps and
// authorizations are never reused, so recordings are deterministic.
//
// Requests reach Pebble one at a time: its front end locks its store and
// an authorization in both orders and can deadlock when several clients
// register, order and poll at once. When a test ends, a server that has
// not finished its requests within 15 seconds fails the test with every
// goroutine's stack instead of hanging it.
//
// It is for tests only: nothing outside _test.go files should import it.
package pebbletest
