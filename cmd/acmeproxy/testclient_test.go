package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"golang.org/x/crypto/acme"
)

// testClientArg, as the test binary's first argument, makes it an ACME
// client instead of running tests: the CLIENT that `run --` wraps.
const testClientArg = "acmeproxy-test-client"

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == testClientArg {
		os.Exit(testClient(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// testClient is an x/crypto/acme client that reaches the CA through the
// proxy its environment names (HTTPS_PROXY) and trusts the roots in
// SSL_CERT_FILE, as a wrapped client does:
//
//	issue DIR           issue a certificate for one name
//	abandon DIR FILE    create an order, read its authorization, wait for FILE (see waitFile), stop
//	late DIR FILE       as abandon, then trigger and issue
//	fail DIR            read the directory and exit 3
//	nonces DIR OUT      fetch nonces until killed, appending each to OUT
func testClient(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "test client: want MODE DIR [FILE]")
		return 2
	}
	mode, dir := args[0], args[1]
	file := ""
	if len(args) > 2 {
		file = args[2]
	}
	if err := runTestClient(mode, dir, file); err != nil {
		fmt.Fprintln(os.Stderr, "test client:", err)
		return 4
	}
	if mode == "fail" {
		return 3
	}
	return 0
}

func runTestClient(mode, dir, file string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	proxyURL, err := url.Parse(os.Getenv("HTTPS_PROXY"))
	if err != nil || proxyURL.Host == "" {
		return fmt.Errorf("HTTPS_PROXY %q", os.Getenv("HTTPS_PROXY"))
	}
	// http.ProxyFromEnvironment never proxies loopback addresses, where
	// the test's Pebble listens; the proxy is named explicitly instead.
	// The roots are the system's, which SSL_CERT_FILE replaces.
	roots, err := x509.SystemCertPool()
	if err != nil {
		return err
	}
	hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: &tls.Config{RootCAs: roots}}}
	if mode == "nonces" {
		return fetchNonces(ctx, hc, dir, file)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	c := &acme.Client{Key: key, DirectoryURL: dir, HTTPClient: hc, UserAgent: "acmeproxy-test-client"}
	if mode == "fail" {
		_, err := c.Discover(ctx)
		return err
	}
	if _, err := c.Register(ctx, &acme.Account{}, acme.AcceptTOS); err != nil {
		return fmt.Errorf("registering: %w", err)
	}
	name := "wrapped.example.test"
	order, err := c.AuthorizeOrder(ctx, acme.DomainIDs(name))
	if err != nil {
		return fmt.Errorf("ordering: %w", err)
	}
	var chals []*acme.Challenge
	for _, u := range order.AuthzURLs {
		z, err := c.GetAuthorization(ctx, u)
		if err != nil {
			return fmt.Errorf("fetching authorization: %w", err)
		}
		for _, ch := range z.Challenges {
			if ch.Type == "http-01" {
				chals = append(chals, ch)
			}
		}
	}
	if mode == "abandon" || mode == "late" {
		if err := waitFile(ctx, file); err != nil {
			return err
		}
		if mode == "abandon" {
			return nil
		}
	}
	for i, ch := range chals {
		if _, err := c.Accept(ctx, ch); err != nil {
			return fmt.Errorf("accepting: %w", err)
		}
		if _, err := c.WaitAuthorization(ctx, order.AuthzURLs[i]); err != nil {
			return fmt.Errorf("waiting for authorization: %w", err)
		}
	}
	if _, err := c.WaitOrder(ctx, order.URI); err != nil {
		return fmt.Errorf("waiting for order: %w", err)
	}
	certKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{name}}, certKey)
	if err != nil {
		return err
	}
	if _, _, err := c.CreateCertFromOrder(ctx, order, csr, true); err != nil {
		return fmt.Errorf("finalizing: %w", err)
	}
	return nil
}

// waitFile says it is waiting by creating FILE.waiting, then waits for
// FILE.
func waitFile(ctx context.Context, file string) error {
	if err := os.WriteFile(file+".waiting", nil, 0o600); err != nil {
		return err
	}
	for {
		if _, err := os.Stat(file); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", file, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// fetchNonces reads the directory, then asks for nonces until it is
// killed, appending each nonce it received to out as soon as it has it.
func fetchNonces(ctx context.Context, hc *http.Client, dir, out string) error {
	c := &acme.Client{DirectoryURL: dir, HTTPClient: hc}
	d, err := c.Discover(ctx)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	for ctx.Err() == nil {
		resp, err := hc.Head(d.NonceURL)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if n := resp.Header.Get("Replay-Nonce"); n != "" {
			if _, err := fmt.Fprintln(f, n); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}
