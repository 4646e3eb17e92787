module github.com/acmeproxy/acmeproxy/internal/legacyca/v1client

go 1.26.8

require (
	github.com/acmeproxy/acmeproxy v0.0.0-00010101000000-000000000000
	golang.org/x/crypto v0.59.0
)

require (
	github.com/elazarl/goproxy v1.9.4 // indirect
	github.com/go-jose/go-jose/v4 v4.1.9 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

// The CA under test lives in the root module of this repository.
replace github.com/acmeproxy/acmeproxy => ../../..

// The root module requires a current golang.org/x/crypto, which minimal
// version selection picks (the require line above shows it, as go mod tidy
// writes it). This replace substitutes, for every version, the last release
// whose acme package still speaks pre-RFC ACME (v1); its successor, commit
// 65fa2f7 of January 2022, removed it. `go list -m golang.org/x/crypto`
// shows the substitution.
replace golang.org/x/crypto => golang.org/x/crypto v0.0.0-20211215153901-e495a2d5b3d3
