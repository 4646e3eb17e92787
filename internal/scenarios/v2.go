package scenarios

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"

	"golang.org/x/crypto/acme"

	"github.com/acmeproxy/acmeproxy/internal/pebbletest"
)

// v2Client is golang.org/x/crypto/acme through the recording proxy.
func v2Client(w *World, key crypto.Signer) *acme.Client {
	if key == nil {
		key = ecKey()
	}
	return &acme.Client{Key: key, DirectoryURL: w.Directory, HTTPClient: w.Client(), UserAgent: "acmeproxy-scenarios x/crypto/acme"}
}

// orderFor registers c and creates an order for names.
func orderFor(ctx context.Context, c *acme.Client, names ...string) (*acme.Order, error) {
	if _, err := c.Register(ctx, &acme.Account{}, acme.AcceptTOS); err != nil {
		return nil, fmt.Errorf("registering: %w", err)
	}
	return c.AuthorizeOrder(ctx, acme.DomainIDs(names...))
}

// http01 returns the authorization's http-01 challenge.
func http01(ctx context.Context, c *acme.Client, authzURL string) (*acme.Challenge, error) {
	z, err := c.GetAuthorization(ctx, authzURL)
	if err != nil {
		return nil, err
	}
	for _, ch := range z.Challenges {
		if ch.Type == "http-01" {
			return ch, nil
		}
	}
	return nil, errors.New("no http-01 challenge")
}

// solve answers authzURL's http-01 challenge (serving the key
// authorization only when serve is set) and waits for the outcome.
func solve(ctx context.Context, w *World, c *acme.Client, authzURL string, serve bool) error {
	ch, err := http01(ctx, c, authzURL)
	if err != nil {
		return err
	}
	if serve {
		ka, err := c.HTTP01ChallengeResponse(ch.Token)
		if err != nil {
			return err
		}
		w.Challenges.Set(ch.Token, ka)
	}
	if _, err := c.Accept(ctx, ch); err != nil {
		return err
	}
	_, err = c.WaitAuthorization(ctx, authzURL)
	return err
}

// csrFor makes a CSR for names signed by key, with Must-Staple if asked.
func csrFor(key crypto.Signer, mustStaple bool, names ...string) ([]byte, error) {
	tmpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: names[0]}, DNSNames: names}
	if mustStaple {
		tmpl.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}, Value: []byte{0x30, 0x03, 0x02, 0x01, 0x05}}}
	}
	return x509.CreateCertificateRequest(rand.Reader, tmpl, key)
}

// issue validates every authorization of a fresh order for names, then
// finalizes it with csr(names) and downloads the certificate.
func issue(ctx context.Context, w *World, c *acme.Client, csrNames []string, csrKey crypto.Signer, mustStaple bool, names ...string) error {
	o, err := orderFor(ctx, c, names...)
	if err != nil {
		return err
	}
	for _, u := range o.AuthzURLs {
		if err := solve(ctx, w, c, u, true); err != nil {
			return err
		}
	}
	if _, err := c.WaitOrder(ctx, o.URI); err != nil {
		return err
	}
	if csrKey == nil {
		csrKey = ecKey()
	}
	csr, err := csrFor(csrKey, mustStaple, csrNames...)
	if err != nil {
		return err
	}
	_, _, err = c.CreateCertFromOrder(ctx, o, csr, true)
	return err
}

func init() {
	names := []string{"a.example.test", "www.example.test"}
	register(
		Scenario{Name: "v2-happy",
			Description: "golang.org/x/crypto/acme: account, order for two names, HTTP-01, finalize, certificate download.",
			Run: func(ctx context.Context, w *World) error {
				return issue(ctx, w, v2Client(w, nil), names, nil, false, names...)
			}},
		Scenario{Name: "v2-order-abandoned",
			Description: "The client creates an order for two names, looks at the first authorization and gives up: both stay pending.",
			Run: func(ctx context.Context, w *World) error {
				c := v2Client(w, nil)
				o, err := orderFor(ctx, c, names...)
				if err != nil {
					return err
				}
				_, err = http01(ctx, c, o.AuthzURLs[0])
				return err
			}},
		Scenario{Name: "v2-second-name-fails",
			Description: "Two names; the second's challenge file is not served, so its validation fails and the client stops.",
			Run: func(ctx context.Context, w *World) error {
				c := v2Client(w, nil)
				o, err := orderFor(ctx, c, names...)
				if err != nil {
					return err
				}
				if err := solve(ctx, w, c, o.AuthzURLs[0], true); err != nil {
					return err
				}
				return expectFailure(solve(ctx, w, c, o.AuthzURLs[1], false), "second validation")
			}},
		Scenario{Name: "v2-finalize-after-failure",
			Description: "The second name's validation fails, yet the client sends the CSR anyway (403 orderNotReady).",
			Run: func(ctx context.Context, w *World) error {
				c := v2Client(w, nil)
				o, err := orderFor(ctx, c, names...)
				if err != nil {
					return err
				}
				if err := solve(ctx, w, c, o.AuthzURLs[0], true); err != nil {
					return err
				}
				_ = solve(ctx, w, c, o.AuthzURLs[1], false) // fails; the client ignores it
				csr, err := csrFor(ecKey(), false, names...)
				if err != nil {
					return err
				}
				_, _, err = c.CreateCertFromOrder(ctx, o, csr, true)
				return expectFailure(err, "finalize of an invalid order")
			}},
		Scenario{Name: "v2-triggered-never-polled",
			Description: "The client triggers the challenge and exits without ever looking at the result.",
			Run: func(ctx context.Context, w *World) error {
				c := v2Client(w, nil)
				o, err := orderFor(ctx, c, "a.example.test")
				if err != nil {
					return err
				}
				ch, err := http01(ctx, c, o.AuthzURLs[0])
				if err != nil {
					return err
				}
				ka, _ := c.HTTP01ChallengeResponse(ch.Token)
				w.Challenges.Set(ch.Token, ka)
				_, err = c.Accept(ctx, ch)
				return err
			}},
		Scenario{Name: "v2-ready-not-finalized",
			Description: "Every authorization is validated and the order is ready, but the client never finalizes it.",
			Run: func(ctx context.Context, w *World) error {
				c := v2Client(w, nil)
				o, err := orderFor(ctx, c, "a.example.test")
				if err != nil {
					return err
				}
				if err := solve(ctx, w, c, o.AuthzURLs[0], true); err != nil {
					return err
				}
				_, err = c.WaitOrder(ctx, o.URI)
				return err
			}},
		Scenario{Name: "v2-csr-extra-name",
			Description: "The CSR names one more host than the order (an openssl config adding a CN); finalize is refused.",
			Run: func(ctx context.Context, w *World) error {
				return expectFailure(issue(ctx, w, v2Client(w, nil), []string{"a.example.test", "extra.example.test"}, nil, false, "a.example.test"), "finalize")
			}},
		Scenario{Name: "v2-csr-account-key",
			Description: "The CSR is signed with the account key; finalize is refused (badCSR).",
			Run: func(ctx context.Context, w *World) error {
				k := ecKey()
				return expectFailure(issue(ctx, w, v2Client(w, k), []string{"a.example.test"}, k, false, "a.example.test"), "finalize")
			}},
		Scenario{Name: "v2-must-staple",
			Description: "The CSR asks for OCSP Must-Staple (Pebble issues; Let's Encrypt refuses it since 7 May 2025).",
			Run: func(ctx context.Context, w *World) error {
				return issue(ctx, w, v2Client(w, nil), []string{"a.example.test"}, nil, true, "a.example.test")
			}},
		Scenario{Name: "v2-bad-nonce", Pebble: pebbletest.Options{NonceRejectPercent: 40},
			Description: "Pebble rejects 40% of good nonces; the client retries each badNonce with a fresh nonce and succeeds.",
			Run: func(ctx context.Context, w *World) error {
				return issue(ctx, w, v2Client(w, nil), []string{"a.example.test"}, nil, false, "a.example.test")
			}},
		Scenario{Name: "v2-deactivate-pending",
			Description: "The client creates an order, then cleans up by deactivating the pending authorization.",
			Run: func(ctx context.Context, w *World) error {
				c := v2Client(w, nil)
				o, err := orderFor(ctx, c, "a.example.test")
				if err != nil {
					return err
				}
				return c.RevokeAuthorization(ctx, o.AuthzURLs[0])
			}},
	)
}
