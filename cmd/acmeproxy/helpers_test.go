package main

import (
	"crypto/tls"

	"github.com/acmeproxy/acmeproxy/internal/mitmca"
)

// tlsTrusting returns a client TLS configuration trusting only ca.
func tlsTrusting(ca *mitmca.CA) *tls.Config {
	return &tls.Config{RootCAs: ca.Pool()}
}
