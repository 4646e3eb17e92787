package flow_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/acme"
	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/internal/legacyca"
	"github.com/acmeproxy/acmeproxy/internal/legacyclient"
	"github.com/acmeproxy/acmeproxy/internal/scenarios"
)

// v1World is the v1 test CA behind a recording proxy (internal/scenarios).
type v1World struct{ *scenarios.World }

func startV1(t *testing.T, cfg legacyca.Config) *v1World {
	t.Helper()
	return &v1World{scenarios.StartV1(t, cfg, "")}
}

// run drives the legacy client through the proxy; publish decides, per
// name, whether the client's challenge file is actually served.
func (w *v1World) run(t *testing.T, key crypto.Signer, csrKey crypto.Signer, names []string, publish func(string) bool) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err := legacyclient.Run(ctx, legacyclient.Options{
		DirectoryURL: w.Directory, HTTPClient: w.Client(), AccountKey: key, CSRKey: csrKey, Names: names,
		Provision: func(name, token, keyAuth string) bool {
			if publish(name) {
				w.Challenges.Set(token, keyAuth)
				return true
			}
			return false
		},
		SelfCheckPort: 80, PollInterval: 50 * time.Millisecond,
	})
	return err
}

func newKeys(t *testing.T) (account, cert crypto.Signer) {
	t.Helper()
	a, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return a, c
}

func TestV1SecondSelfCheckFailsLeavesOneOrphan(t *testing.T) {
	w := startV1(t, legacyca.Config{})
	acct, certKey := newKeys(t)
	err := w.run(t, acct, certKey, []string{"a.example.test", "b.example.test"}, func(n string) bool { return n == "a.example.test" })
	if err == nil {
		t.Fatal("the client should stop when its self-check fails")
	}
	w.Recorder.Stop()
	l := ledgerOf(t, w.Recorder.Journal)

	accounts := l.Accounts()
	if len(accounts) != 1 {
		t.Fatalf("accounts = %d, want 1", len(accounts))
	}
	a := accounts[0]
	if a.Dialect != "v1" || !a.Registered || !a.TermsAgreed {
		t.Errorf("account: dialect %s registered %v terms %v", a.Dialect, a.Registered, a.TermsAgreed)
	}
	byName := authzsByName(a)
	good, bad := byName["a.example.test"], byName["b.example.test"]
	if good == nil || bad == nil {
		t.Fatalf("authorizations by name: %v", byName)
	}
	if len(good.UsedBy) != 0 {
		t.Errorf("a.example.test was never used by a new-cert, yet UsedBy = %d", len(good.UsedBy))
	}
	if good.Status != acme.StatusValid || good.Orphaned || !good.Triggered() || !good.PolledAfterTrigger() {
		t.Errorf("a.example.test: status %s orphaned %v triggered %v", good.Status, good.Orphaned, good.Triggered())
	}
	if !bad.Orphaned || bad.Triggered() || bad.Status != acme.StatusPending {
		t.Errorf("b.example.test: orphaned %v triggered %v status %s", bad.Orphaned, bad.Triggered(), bad.Status)
	}
	sc := bad.FailedSelfCheck()
	if sc == nil || sc.Status != http.StatusNotFound {
		t.Errorf("b.example.test: failed self-check = %+v, want the 404 the client got", sc)
	}
	if got := len(a.Orphans()); got != 1 {
		t.Errorf("orphans = %d, want 1", got)
	}
	if len(a.Issuances) != 0 {
		t.Errorf("issuances = %d, want none: the client stopped", len(a.Issuances))
	}
	if got := a.RunsToCap(300); got != 299 {
		t.Errorf("RunsToCap(300) = %d, want 299", got)
	}
}

func TestV1HappyPathIssuesWithEveryNameCovered(t *testing.T) {
	w := startV1(t, legacyca.Config{})
	acct, certKey := newKeys(t)
	if err := w.run(t, acct, certKey, []string{"a.example.test", "b.example.test"}, func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	w.Recorder.Stop()
	a := ledgerOf(t, w.Recorder.Journal).Accounts()[0]
	if len(a.Orphans()) != 0 {
		t.Errorf("orphans: %d", len(a.Orphans()))
	}
	if len(a.Issuances) != 1 {
		t.Fatalf("issuances = %d, want 1", len(a.Issuances))
	}
	is := a.Issuances[0]
	if len(is.Uncovered) != 0 || is.KeyIsAccountKey || is.Refused() || is.Certificate == nil || !is.Certificate.Downloaded {
		t.Errorf("issuance: uncovered %v account-key %v refused %v cert %v", is.Uncovered, is.KeyIsAccountKey, is.Refused(), is.Certificate)
	}
	for _, z := range a.Authzs {
		if len(z.UsedBy) != 1 {
			t.Errorf("%s used by %d issuances, want 1", z.Name(), len(z.UsedBy))
		}
	}
}

func TestV1AccountKeyCSRIsSeenAndRefused(t *testing.T) {
	w := startV1(t, legacyca.Config{})
	acct, _ := newKeys(t)
	if err := w.run(t, acct, acct, []string{"a.example.test"}, func(string) bool { return true }); err == nil {
		t.Fatal("the CA should refuse a CSR signed with the account key")
	}
	w.Recorder.Stop()
	a := ledgerOf(t, w.Recorder.Journal).Accounts()[0]
	if len(a.Issuances) != 1 {
		t.Fatalf("issuances = %d", len(a.Issuances))
	}
	is := a.Issuances[0]
	if !is.KeyIsAccountKey || !is.Refused() || is.Problem == nil || is.Problem.Type.Name() != acme.ErrMalformed {
		t.Errorf("issuance: account-key %v refused %v problem %+v", is.KeyIsAccountKey, is.Refused(), is.Problem)
	}
}

func TestV1RerunGetsTheRecycledPendingAuthorization(t *testing.T) {
	w := startV1(t, legacyca.Config{})
	acct, certKey := newKeys(t)
	never := func(string) bool { return false }
	for range 2 {
		if err := w.run(t, acct, certKey, []string{"a.example.test"}, never); err == nil {
			t.Fatal("the self-check should fail")
		}
	}
	w.Recorder.Stop()
	a := ledgerOf(t, w.Recorder.Journal).Accounts()[0]
	if len(a.Authzs) != 1 {
		t.Fatalf("authorizations = %d, want 1: the CA recycles the pending one", len(a.Authzs))
	}
	z := a.Authzs[0]
	if z.HandedBack != 1 || z.HandedBackPending != 1 || !z.Orphaned {
		t.Errorf("handed back %d (pending %d), orphaned %v", z.HandedBack, z.HandedBackPending, z.Orphaned)
	}
}

func TestV1NewCertWithoutAuthorizationsListsUncoveredNames(t *testing.T) {
	w := startV1(t, legacyca.Config{})
	acct, certKey := newKeys(t)
	// Validate a.example.test, then ask for a certificate that also names
	// c.example.test, which the account never authorized.
	if err := w.run(t, acct, certKey, []string{"a.example.test"}, func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err := legacyclient.Run(ctx, legacyclient.Options{DirectoryURL: w.Directory, HTTPClient: w.Client(), AccountKey: acct, CSRKey: certKey,
		Names: []string{"a.example.test", "c.example.test"}, SkipAuthorization: true})
	if err == nil {
		t.Fatal("new-cert should be refused")
	}
	w.Recorder.Stop()
	a := ledgerOf(t, w.Recorder.Journal).Accounts()[0]
	last := a.Issuances[len(a.Issuances)-1]
	if len(last.Uncovered) != 1 || last.Uncovered[0] != "c.example.test" || last.Status != http.StatusForbidden {
		t.Errorf("uncovered %v status %d, want [c.example.test] 403", last.Uncovered, last.Status)
	}
}

func authzsByName(a *flow.Account) map[string]*flow.Authz {
	m := map[string]*flow.Authz{}
	for _, z := range a.Authzs {
		m[z.Name()] = z
	}
	return m
}
