package v1client

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Env is what a scenario needs from its caller.
type Env struct {
	// HTTPClient carries every ACME request: directory, JWS POSTs, polls
	// and certificate downloads. It must trust the CA's TLS certificate
	// and may route through a proxy. Required.
	HTTPClient *http.Client
	// DirectoryURL is the CA's v1 directory URL. Required.
	DirectoryURL string
	// Challenges is where scenarios publish http-01 responses. The CA must
	// reach it for every name, e.g. legacyca.Config{HTTPPort:
	// Challenges.Port(), DialContext: Challenges.DialContext}. Required.
	Challenges *ChallengeServer
	// SelfCheckClient makes the client's own fetch of
	// http://<name>:<port>/.well-known/acme-challenge/<token> before it
	// triggers a challenge. Nil means Challenges.Client(); a client routed
	// through the recording proxy records the self-check too.
	SelfCheckClient *http.Client
	// Domain is the parent of every name a scenario uses; default
	// "example.test". Names are <label>.<scenario>.<Domain>.
	Domain string
}

func (e *Env) check() error {
	switch {
	case e.HTTPClient == nil:
		return errors.New("v1client: Env.HTTPClient is required")
	case e.DirectoryURL == "":
		return errors.New("v1client: Env.DirectoryURL is required")
	case e.Challenges == nil:
		return errors.New("v1client: Env.Challenges is required")
	}
	if e.SelfCheckClient == nil {
		e.SelfCheckClient = e.Challenges.Client()
	}
	if e.Domain == "" {
		e.Domain = "example.test"
	}
	return nil
}

// Outcome is what a scenario's client saw. Run fills it as it goes, so a
// failed run still reports how far it got.
type Outcome struct {
	// AccountKey is the account key the scenario signed with.
	AccountKey crypto.Signer
	// AccountURL is the registration URL (from new-reg's Location, or the
	// 409's Location on a re-run).
	AccountURL string
	// Names are the DNS names the scenario asked about, in order.
	Names []string
	// AuthzURLs are the authorization URLs new-authz returned, in order,
	// repeats kept (a recycled or reused authorization appears twice).
	AuthzURLs []string
	// CertURL is new-cert's Location, when a certificate was issued.
	CertURL string
	// Certificate is the DER chain the client assembled: the leaf, then
	// what it fetched by following Link rel="up".
	Certificate [][]byte
	// Rejection is the CA error the scenario set out to provoke: an
	// *acme.Error, or an *acme.AuthorizationError for a failed
	// validation. Nil for scenarios that expect none.
	Rejection error
}

// Scenario is one scripted run of the v1 client. The zero value is not
// usable; take scenarios from Scenarios or Lookup.
type Scenario struct {
	// Name is the stable identifier, e.g. "one-name".
	Name string
	// Description says what the client does and what the CA must answer.
	Description string
	// PendingAuthzLimit is the legacyca.Config.PendingAuthzLimit the CA
	// must run with for the scenario to hold; 0 means any limit of at
	// least 3 (the default 300 included).
	PendingAuthzLimit int

	run func(ctx context.Context, r *runner) error
}

// Run plays the scenario against env. It returns a nil error when the CA
// answered every step the way Boulder's v1 API did, including the
// rejections the scenario provokes on purpose; any other answer is an
// error. The Outcome is never nil.
func (s Scenario) Run(ctx context.Context, env Env) (*Outcome, error) {
	out := &Outcome{}
	if s.run == nil {
		return out, fmt.Errorf("v1client: scenario %q: not from Scenarios", s.Name)
	}
	if err := env.check(); err != nil {
		return out, err
	}
	r := &runner{env: env, scenario: s.Name, out: out}
	if err := s.run(ctx, r); err != nil {
		return out, fmt.Errorf("v1client: scenario %s: %w", s.Name, err)
	}
	return out, nil
}

// Scenarios returns every scenario, in a stable order.
func Scenarios() []Scenario {
	return []Scenario{
		{Name: "one-name", run: runOneName,
			Description: "register, agree, authorize one name over http-01, issue; fetch the issuer by Link rel=up"},
		{Name: "two-names", run: runTwoNames,
			Description: "authorize two names, then one certificate for both"},
		{Name: "self-check-fails", run: runSelfCheckFails,
			Description: "the client's own fetch of its token fails, so it stops before the challenge POST and leaves a pending authorization (B1)"},
		{Name: "second-name-invalid", run: runSecondNameInvalid,
			Description: "two names, no self-check, only the first is published: the second validation fails with unauthorized and no certificate is requested"},
		{Name: "recycled-pending", run: runRecycledPending,
			Description: "a run stops after a failed self-check; the same account re-runs (409 on new-reg), gets the same pending authorization back and completes (B8)"},
		{Name: "reused-valid", run: runReusedValid,
			Description: "after a clean issuance the same account re-runs and new-authz hands back the valid authorization, same URL; issuance needs no challenge"},
		{Name: "rate-limited", PendingAuthzLimit: 2, run: runRateLimited,
			Description: "with a pending cap of 2, the third new-authz is refused with 429 rateLimited"},
		{Name: "account-key-csr", run: runAccountKeyCSR,
			Description: "a valid authorization, then a CSR signed with the account key: 400 malformed (B6)"},
		{Name: "no-authz", run: runNoAuthz,
			Description: "new-cert from an account without authorizations: 403 unauthorized listing both names (B7)"},
		{Name: "terms-not-agreed", run: runTermsNotAgreed,
			Description: "the client declines the terms at registration; new-authz is refused with 403 unauthorized (B20)"},
		{Name: "deactivate-pending", run: runDeactivatePending,
			Description: "after a failed self-check the client deactivates its pending authorization instead of orphaning it"},
		{Name: "revoke-by-cert-key", run: runRevokeByCertKey,
			Description: "issue, then revoke the certificate with a request signed by the certificate's own key"},
	}
}

// Lookup returns the scenario called name.
func Lookup(name string) (Scenario, bool) {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Names returns the names of all scenarios, in order.
func Names() []string {
	var names []string
	for _, s := range Scenarios() {
		names = append(names, s.Name)
	}
	return names
}

// String is the scenario's name.
func (s Scenario) String() string { return s.Name }

// describe joins a step and its error for messages.
func describe(step string, err error) error {
	return fmt.Errorf("%s: %w", strings.TrimSpace(step), err)
}
