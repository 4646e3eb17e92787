package proxy_test

import (
	"fmt"
	"sync"
	"testing"

	"golang.org/x/crypto/acme"

	"github.com/acmeproxy/acmeproxy/internal/pebbletest"
	"github.com/acmeproxy/acmeproxy/proxy"
)

// TestSixteenClients runs 16 issuances at once, each with its own account
// and connections, through one proxy: all succeed and the journal holds
// exactly the responses the clients received.
func TestSixteenClients(t *testing.T) {
	t.Parallel()
	const clients = 16
	pebble := pebbletest.Start(t, pebbletest.Options{})
	h := startProxy(t, proxy.Config{Upstream: pebble.DirectoryURL, UpstreamRoots: pebble.Roots})
	ctx := issuanceContext(t)
	observers := make([]*observer, clients)
	var wg sync.WaitGroup
	for i := range clients {
		httpClient, obs := h.client()
		observers[i] = obs
		wg.Go(func() {
			c := &acme.Client{Key: newKey(t), DirectoryURL: pebble.DirectoryURL, HTTPClient: httpClient}
			if _, _, err := pebble.Issue(ctx, c, fmt.Sprintf("client%d.example", i)); err != nil {
				t.Errorf("client %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	want := map[string]int{}
	for _, o := range observers {
		for _, s := range o.all() {
			want[fmt.Sprintf("%s %s %d %s", s.Method, s.URL, s.Status, s.sha())]++
		}
	}
	recs := h.exchanges()
	conns := map[uint64]bool{}
	for _, e := range recs {
		key := fmt.Sprintf("%s %s %d %s", e.Request.Method, e.Request.URL, e.Response.Status, e.Response.Body.SHA256)
		if want[key] == 0 {
			t.Errorf("journal exchange %d not received by any client: %s", e.Seq, key)
		}
		want[key]--
		conns[e.Conn] = true
	}
	for k, n := range want {
		if n > 0 {
			t.Errorf("received by a client but missing from the journal (%d×): %s", n, k)
		}
	}
	if len(conns) < clients {
		t.Errorf("exchanges came over %d client connections, want at least %d", len(conns), clients)
	}
}
