package flow_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"golang.org/x/crypto/acme"

	acmewire "github.com/acmeproxy/acmeproxy/acme"
	"github.com/acmeproxy/acmeproxy/internal/pebbletest"
	"github.com/acmeproxy/acmeproxy/internal/scenarios"
)

// v2World is in-process Pebble behind a recording proxy, and an ACME
// client (golang.org/x/crypto/acme) that goes through the proxy.
type v2World struct {
	*scenarios.World
	client *acme.Client
}

func startV2(t *testing.T) *v2World {
	t.Helper()
	w := scenarios.StartV2(t, pebbletest.Options{}, "")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := &acme.Client{Key: key, DirectoryURL: w.Directory, HTTPClient: w.Client(), UserAgent: "acmeproxy-test"}
	return &v2World{World: w, client: c}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestV2HappyPathLeavesNothingBehind(t *testing.T) {
	w := startV2(t)
	if _, _, err := w.Pebble.Issue(ctxFor(t), w.client, "a.example.test", "b.example.test"); err != nil {
		t.Fatal(err)
	}
	w.Recorder.Stop()
	l := ledgerOf(t, w.Recorder.Journal)
	a := l.Accounts()[0]
	if a.Dialect != "v2" || a.URL == "" || !a.Registered || !a.TermsAgreed {
		t.Errorf("account: %s url %q registered %v terms %v", a.Dialect, a.URL, a.Registered, a.TermsAgreed)
	}
	if len(a.Orders) != 1 {
		t.Fatalf("orders = %d", len(a.Orders))
	}
	o := a.Orders[0]
	if o.Status != acmewire.StatusValid || !o.Finalized() || !o.Downloaded() || o.Abandoned() || len(o.Authzs) != 2 {
		t.Errorf("order: %s finalized %v downloaded %v abandoned %v authzs %d", o.Status, o.Finalized(), o.Downloaded(), o.Abandoned(), len(o.Authzs))
	}
	for _, z := range a.Authzs {
		if z.Status != acmewire.StatusValid || z.Orphaned || !z.PolledAfterTrigger() {
			t.Errorf("%s: %s orphaned %v", z.Name(), z.Status, z.Orphaned)
		}
	}
	is := a.Issuances[0]
	if len(is.Missing)+len(is.Extra) != 0 || is.KeyIsAccountKey || is.Refused() {
		t.Errorf("issuance: missing %v extra %v", is.Missing, is.Extra)
	}
	if s := l.Sessions()[0]; s.CA != "pebble" || s.Dialect() != "v2" {
		t.Errorf("session: CA %q dialect %s", s.CA, s.Dialect())
	}
}

// A client that creates an order, looks at the authorization and gives up
// (its own pre-check failed) leaves it pending: the orphan the tool exists
// to find.
func TestV2ClientStoppingAfterOrderLeavesOrphans(t *testing.T) {
	w := startV2(t)
	ctx := ctxFor(t)
	if _, err := w.client.Register(ctx, &acme.Account{}, acme.AcceptTOS); err != nil {
		t.Fatal(err)
	}
	order, err := w.client.AuthorizeOrder(ctx, acme.DomainIDs("a.example.test", "b.example.test"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.client.GetAuthorization(ctx, order.AuthzURLs[0]); err != nil {
		t.Fatal(err)
	}
	w.Recorder.Stop()
	a := ledgerOf(t, w.Recorder.Journal).Accounts()[0]
	if got := len(a.Orphans()); got != 2 {
		t.Errorf("orphans = %d, want 2 (one fetched, one only listed in the pending order)", got)
	}
	if o := a.Orders[0]; !o.Abandoned() {
		t.Errorf("order should be abandoned: status %s", o.Status)
	}
}

func TestV2FailedValidationIsNoOrphan(t *testing.T) {
	w := startV2(t)
	ctx := ctxFor(t)
	if _, err := w.client.Register(ctx, &acme.Account{}, acme.AcceptTOS); err != nil {
		t.Fatal(err)
	}
	order, err := w.client.AuthorizeOrder(ctx, acme.DomainIDs("a.example.test"))
	if err != nil {
		t.Fatal(err)
	}
	z, err := w.client.GetAuthorization(ctx, order.AuthzURLs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range z.Challenges {
		if c.Type == "http-01" { // trigger without serving the key authorization
			if _, err := w.client.Accept(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := w.client.WaitAuthorization(ctx, z.URI); err == nil {
		t.Fatal("validation should fail")
	}
	w.Recorder.Stop()
	a := ledgerOf(t, w.Recorder.Journal).Accounts()[0]
	got := a.Authzs[0]
	if got.Status != acmewire.StatusInvalid || got.Orphaned || got.Problem == nil {
		t.Errorf("authz: %s orphaned %v problem %+v", got.Status, got.Orphaned, got.Problem)
	}
}
