package pebbletest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"testing"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/acmeproxy/acmeproxy/internal/pebbletest"
)

func TestIssueDirect(t *testing.T) {
	t.Parallel()
	srv := pebbletest.Start(t, pebbletest.Options{})
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	client := &acme.Client{Key: key, DirectoryURL: srv.DirectoryURL, HTTPClient: srv.Client()}
	chain, _, err := srv.Issue(t.Context(), client, "direct.example", "www.direct.example")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(leaf.DNSNames) != 2 || time.Until(leaf.NotAfter) <= 0 {
		t.Fatalf("unexpected certificate: names %v, notAfter %v", leaf.DNSNames, leaf.NotAfter)
	}
	if srv.IssuerRoot == nil || !srv.IssuerRoot.IsCA {
		t.Fatal("IssuerRoot is not a CA certificate")
	}
}
