package pebbletest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/acmeproxy/acmeproxy/internal/pebbletest"
)

// TestConcurrentAuthzPolls: authorizations polled while other accounts
// register and order at the same time (the mix of 16 concurrent
// issuances) never wedge the server.
func TestConcurrentAuthzPolls(t *testing.T) {
	t.Parallel()
	srv := pebbletest.Start(t, pebbletest.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	hc := srv.Client()
	hc.Timeout = 10 * time.Second
	newClient := func() *acme.Client {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		return &acme.Client{Key: k, DirectoryURL: srv.DirectoryURL, HTTPClient: hc}
	}
	stop := time.Now().Add(5 * time.Second)
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() {
			c := newClient()
			if _, err := c.Register(ctx, &acme.Account{}, acme.AcceptTOS); err != nil {
				t.Errorf("register: %v", err)
				return
			}
			for n := 0; time.Now().Before(stop); n++ {
				switch i % 3 {
				case 0: // new accounts: the store's writer
					if _, err := newClient().Register(ctx, &acme.Account{}, acme.AcceptTOS); err != nil {
						t.Errorf("register: %v", err)
						return
					}
				default: // orders (every authorization scanned) and authorization polls
					o, err := c.AuthorizeOrder(ctx, acme.DomainIDs(fmt.Sprintf("c%d-%d.example", i, n)))
					if err != nil {
						t.Errorf("order: %v", err)
						return
					}
					for range 3 {
						if _, err := c.GetAuthorization(ctx, o.AuthzURLs[0]); err != nil {
							t.Errorf("authz: %v", err)
							return
						}
					}
				}
			}
		})
	}
	wg.Wait()
}
