package scenarios

import (
	"context"
	"crypto"
	"fmt"
	"strings"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/legacyca"
	"github.com/acmeproxy/acmeproxy/internal/legacyclient"
)

// legacy runs the acme-tiny-style v1 client in w. publish says, per name,
// whether the client's challenge file is really served.
type legacy struct {
	account, csr crypto.Signer
	names        []string
	publish      func(name string) bool
	tweak        func(*legacyclient.Options)
}

func (l legacy) run(ctx context.Context, w *World) error {
	if l.account == nil {
		l.account = rsaKey()
	}
	if l.csr == nil {
		l.csr = ecKey()
	}
	if l.publish == nil {
		l.publish = func(string) bool { return true }
	}
	opts := legacyclient.Options{
		DirectoryURL: w.Directory, HTTPClient: w.Client(), AccountKey: l.account, CSRKey: l.csr, Names: l.names,
		Provision: func(name, token, keyAuth string) bool {
			if !l.publish(name) {
				return false
			}
			w.Challenges.Set(token, keyAuth)
			return true
		},
		SelfCheckPort: 80, PollInterval: 100 * time.Millisecond,
	}
	if l.tweak != nil {
		l.tweak(&opts)
	}
	_, err := legacyclient.Run(ctx, opts)
	return err
}

func only(names ...string) func(string) bool {
	return func(n string) bool {
		for _, m := range names {
			if m == n {
				return true
			}
		}
		return false
	}
}

func init() {
	register(
		Scenario{Name: "v1-happy", V1: true,
			Description: "acme-tiny-style v1 client: registers, validates two names over HTTP-01, gets the certificate.",
			Run: legacy{names: []string{"a.example.test", "www.example.test"},
				tweak: func(o *legacyclient.Options) { o.FetchIssuer = true }}.run},
		Scenario{Name: "v1-weak-keys", V1: true,
			Description: "A 2016-era setup: a 1024-bit RSA account key (registration refused), then a good account key with a 1024-bit certificate key.",
			Run: func(ctx context.Context, w *World) error {
				if err := expectFailure(legacy{account: weakRSA(), names: []string{"a.example.test"}}.run(ctx, w), "weak account key"); err != nil {
					return err
				}
				_ = legacy{csr: weakRSA(), names: []string{"a.example.test"}}.run(ctx, w) // the CA may refuse the CSR
				return nil
			}},
		Scenario{Name: "v1-self-check-fails", V1: true,
			Description: "acme-tiny's classic bug: the second name's own self-check fails and the client stops without triggering or deactivating its authorization.",
			Run: func(ctx context.Context, w *World) error {
				err := legacy{names: []string{"a.example.test", "www.example.test"}, publish: only("a.example.test")}.run(ctx, w)
				if err == nil || !strings.Contains(err.Error(), "couldn't download") {
					return fmt.Errorf("want the self-check failure, got %v", err)
				}
				return nil
			}},
		Scenario{Name: "v1-recycled-pending", V1: true,
			Description: "The same account runs three times; each run's self-check fails, and the CA hands back the same pending authorization each time.",
			Run: func(ctx context.Context, w *World) error {
				l := legacy{account: rsaKey(), names: []string{"a.example.test"}, publish: only()}
				for range 3 {
					if err := expectFailure(l.run(ctx, w), "self-check"); err != nil {
						return err
					}
				}
				return nil
			}},
		Scenario{Name: "v1-expired-unused", V1: true, Legacy: legacyca.Config{PendingAuthzLifetime: 3 * time.Second},
			Description: "The self-check fails and the client leaves its pending authorization, which expires (the test CA keeps " +
				"pending authorizations 3 s here, 7 days at Let's Encrypt); the same account runs again later and gets the " +
				"certificate with a new authorization.",
			Run: func(ctx context.Context, w *World) error {
				acct := rsaKey()
				if err := expectFailure(legacy{account: acct, names: []string{"a.example.test"}, publish: only()}.run(ctx, w),
					"self-check"); err != nil {
					return err
				}
				select {
				case <-time.After(4 * time.Second): // past the first authorization's expiry
				case <-ctx.Done():
					return ctx.Err()
				}
				return legacy{account: acct, names: []string{"a.example.test"}}.run(ctx, w)
			}},
		Scenario{Name: "v1-rate-limited", V1: true, Legacy: legacyca.Config{PendingAuthzLimit: 2},
			Description: "A client that leaves one orphan per run reaches the CA's pending-authorization cap (2 here, 300 at Let's Encrypt until 2025) and gets 429.",
			Run: func(ctx context.Context, w *World) error {
				acct := rsaKey()
				for i, name := range []string{"a.example.test", "b.example.test", "c.example.test"} {
					err := legacy{account: acct, names: []string{name}, publish: only()}.run(ctx, w)
					if i == 2 && (err == nil || !strings.Contains(err.Error(), "429")) {
						return fmt.Errorf("third run: want 429, got %v", err)
					}
				}
				return nil
			}},
		Scenario{Name: "v1-account-key-csr", V1: true,
			Description: "The CSR is signed with the account key; the CA refuses it (400 malformed).",
			Run: func(ctx context.Context, w *World) error {
				k := rsaKey()
				return expectFailure(legacy{account: k, csr: k, names: []string{"a.example.test"}}.run(ctx, w), "new-cert")
			}},
		Scenario{Name: "v1-unauthorized-name", V1: true,
			Description: "The client validates one name, then asks new-cert for a CSR that also names one it never authorized (403 unauthorized).",
			Run: func(ctx context.Context, w *World) error {
				acct := rsaKey()
				if err := (legacy{account: acct, names: []string{"a.example.test"}}).run(ctx, w); err != nil {
					return err
				}
				return expectFailure(legacy{account: acct, names: []string{"a.example.test", "shop.example.test"},
					tweak: func(o *legacyclient.Options) { o.SkipAuthorization = true }}.run(ctx, w), "new-cert")
			}},
		Scenario{Name: "v1-no-agreement", V1: true,
			Description: "The client registers without agreeing to the terms of service; new-authz is refused (403).",
			Run: func(ctx context.Context, w *World) error {
				err := legacy{names: []string{"a.example.test"}, tweak: func(o *legacyclient.Options) { o.NoAgreement = true }}.run(ctx, w)
				if err == nil || !strings.Contains(err.Error(), "403") {
					return fmt.Errorf("want a 403 at new-authz, got %v", err)
				}
				return nil
			}},
		Scenario{Name: "v1-must-staple", V1: true,
			Description: "The CSR asks for OCSP Must-Staple, which the CA accepted at the time.",
			Run:         legacy{names: []string{"a.example.test"}, tweak: func(o *legacyclient.Options) { o.MustStaple = true }}.run},
	)
}
