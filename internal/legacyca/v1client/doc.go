// Package v1client drives a real ACME v1 client, golang.org/x/crypto/acme
// pinned at v0.0.0-20211215153901-e495a2d5b3d3 (the last release before
// pre-RFC support was removed in January 2022), through scripted
// scenarios against a v1 CA such as internal/legacyca.
//
// It lives in its own Go module so that the root module keeps a current
// golang.org/x/crypto: this module's go.mod replaces x/crypto with the old
// release for everything built here, which also means a root-module
// package compiled into this module must not need newer x/crypto APIs.
//
// Each Scenario reproduces one client behaviour from acme-reference.md §11
// (clean issuance, a failed self-check that orphans a pending
// authorization, a failed validation, recycling, the pending cap, a CSR
// signed with the account key, issuance without authorizations, ...) and
// checks that the CA answered as Boulder's v1 API did. Scenario.Run takes
// an Env carrying the *http.Client used for every ACME request, so a caller
// can route the same scenarios through the recording proxy and assert on
// the journal afterwards. The http-01 side is a real HTTP server on a
// random loopback port (ChallengeServer) that the CA reaches through
// legacyca.Config.DialContext.
//
// A test that wants the traffic of a scenario recorded has to live in this
// module (or another with the same two replace directives): the root
// module cannot import this one without pulling the old x/crypto into its
// own build.
package v1client
