package scenarios

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/crypto/acme"
)

// The scenarios of this file walk an account through every RFC 8555
// resource a subscriber touches over its life, so that each operation of
// the v2 dialect appears in at least one real recording: lookup by key,
// fetch, contact update, an issuance with the client's own HTTP-01
// self-check, certificate re-download, renewalInfo, key rollover, orders
// list, revocation and deactivation.
//
// golang.org/x/crypto/acme has no call for three of them: a POST-as-GET of
// the account URL (its GetReg is a newAccount lookup), the orders list and
// renewalInfo (RFC 9773). Those requests are built by the raw client of
// faults.go with the same account key and kid, and the renewalInfo GET by
// hand, as an x/crypto user who wants them has to.

// selfCheck fetches http://<name>/.well-known/acme-challenge/<token>
// through hc, as a careful client does before triggering the challenge,
// and checks it gets keyAuth back.
func selfCheck(ctx context.Context, hc *http.Client, ua, name, token, keyAuth string) error {
	u := "http://" + name + "/.well-known/acme-challenge/" + token
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", ua)
	res, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("self-check: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<10))
	if err != nil {
		return fmt.Errorf("self-check: %w", err)
	}
	if res.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != keyAuth {
		return fmt.Errorf("self-check of %s: %d %q", u, res.StatusCode, body)
	}
	return nil
}

// ariCertID is the RFC 9773 §4.1 certificate identifier: base64url of the
// Authority Key Identifier's keyIdentifier, ".", base64url of the serial
// number's DER content octets (sign byte included, tag and length not).
func ariCertID(leaf *x509.Certificate) (string, error) {
	if len(leaf.AuthorityKeyId) == 0 {
		return "", errors.New("certificate has no Authority Key Identifier")
	}
	der, err := asn1.Marshal(leaf.SerialNumber)
	if err != nil {
		return "", err
	}
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(der, &raw); err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(leaf.AuthorityKeyId) + "." + enc.EncodeToString(raw.Bytes), nil
}

// lifecycleV2 is the v2-account-lifecycle scenario.
func lifecycleV2(ctx context.Context, w *World) error {
	const name = "a.example.test"
	c := v2Client(w, nil)
	acct, err := c.Register(ctx, &acme.Account{Contact: []string{"mailto:admin@example.test"}}, acme.AcceptTOS)
	if err != nil {
		return fmt.Errorf("registering: %w", err)
	}
	// The account by key: newAccount with onlyReturnExisting.
	found, err := c.GetReg(ctx, "")
	if err != nil {
		return fmt.Errorf("looking the account up: %w", err)
	}
	if found.URI != acct.URI {
		return fmt.Errorf("lookup found %s, want %s", found.URI, acct.URI)
	}
	// The account by URL: a POST-as-GET, hand-built.
	raw := newRaw(w, c.Key)
	raw.ua = c.UserAgent + " (hand-built request)"
	raw.kid = acct.URI
	if err := raw.discover(ctx); err != nil {
		return err
	}
	r, err := raw.post(ctx, acct.URI, nil, fault{})
	if err != nil {
		return err
	}
	if err := r.want("account fetch", http.StatusOK, "-"); err != nil {
		return err
	}
	var fetched struct {
		Status string `json:"status"`
		Orders string `json:"orders"`
	}
	if err := json.Unmarshal(r.Body, &fetched); err != nil || fetched.Status != "valid" || fetched.Orders == "" {
		return fmt.Errorf("account fetch: %s (%v)", r.Body, err)
	}
	// A new contact.
	updated, err := c.UpdateReg(ctx, &acme.Account{Contact: []string{"mailto:ops@example.test"}})
	if err != nil {
		return fmt.Errorf("updating the contact: %w", err)
	}
	if len(updated.Contact) != 1 || updated.Contact[0] != "mailto:ops@example.test" {
		return fmt.Errorf("contact after the update: %q", updated.Contact)
	}

	// An issuance, with a self-check before the challenge is triggered.
	o, err := c.AuthorizeOrder(ctx, acme.DomainIDs(name))
	if err != nil {
		return err
	}
	ch, err := http01(ctx, c, o.AuthzURLs[0])
	if err != nil {
		return err
	}
	ka, err := c.HTTP01ChallengeResponse(ch.Token)
	if err != nil {
		return err
	}
	w.Challenges.Set(ch.Token, ka)
	if err := selfCheck(ctx, w.Client(), c.UserAgent, name, ch.Token, ka); err != nil {
		return err
	}
	if _, err := c.Accept(ctx, ch); err != nil {
		return err
	}
	if _, err := c.WaitAuthorization(ctx, o.AuthzURLs[0]); err != nil {
		return err
	}
	if _, err := c.WaitOrder(ctx, o.URI); err != nil {
		return err
	}
	csr, err := csrFor(ecKey(), false, name)
	if err != nil {
		return err
	}
	_, certURL, err := c.CreateCertFromOrder(ctx, o, csr, true)
	if err != nil {
		return fmt.Errorf("finalizing: %w", err)
	}
	// The certificate again, as a client that kept only its URL.
	chain, err := c.FetchCert(ctx, certURL, true)
	if err != nil {
		return fmt.Errorf("downloading the certificate again: %w", err)
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return err
	}

	// Its renewal window (RFC 9773): an unauthenticated GET.
	ari := raw.dir["renewalInfo"]
	if ari == "" {
		return errors.New("the directory has no renewalInfo")
	}
	certID, err := ariCertID(leaf)
	if err != nil {
		return err
	}
	r, err = raw.do(ctx, http.MethodGet, strings.TrimSuffix(ari, "/")+"/"+certID, nil, fault{})
	if err != nil {
		return err
	}
	if err := r.want("renewalInfo", http.StatusOK, "-"); err != nil {
		return err
	}
	if !strings.Contains(string(r.Body), "suggestedWindow") {
		return fmt.Errorf("renewalInfo without a suggestedWindow: %s", r.Body)
	}

	// A new account key; the account URL stays.
	newKey := ecKey()
	if err := c.AccountKeyRollover(ctx, newKey); err != nil {
		return fmt.Errorf("rolling the key over: %w", err)
	}
	// The orders list, signed with the new key.
	raw.key = newKey
	r, err = raw.post(ctx, fetched.Orders, nil, fault{})
	if err != nil {
		return err
	}
	if err := r.want("orders list", http.StatusOK, "-"); err != nil {
		return err
	}
	var orders struct {
		Orders []string `json:"orders"`
	}
	if err := json.Unmarshal(r.Body, &orders); err != nil || len(orders.Orders) != 1 || orders.Orders[0] != o.URI {
		return fmt.Errorf("orders list %s, want [%s] (%v)", r.Body, o.URI, err)
	}

	// Revocation by the account (new key, kid), then deactivation.
	if err := c.RevokeCert(ctx, nil, leaf.Raw, acme.CRLReasonSuperseded); err != nil {
		return fmt.Errorf("revoking: %w", err)
	}
	if err := c.DeactivateReg(ctx); err != nil {
		return fmt.Errorf("deactivating the account: %w", err)
	}
	return nil
}

func init() {
	register(
		Scenario{Name: "v2-account-lifecycle",
			Description: "golang.org/x/crypto/acme over an account's life: register, look the account up by key, fetch it by URL, " +
				"change its contact, issue (with a self-check), download the certificate again, ask renewalInfo, roll the key over, " +
				"list the orders, revoke the certificate and deactivate the account.",
			Run: lifecycleV2},
	)
}
