package v1client

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/acme"
)

// userAgent is prepended to x/crypto's own User-Agent.
const userAgent = "acmeproxy-v1client"

// runner holds one scenario run's state and the client steps scenarios
// are written in.
type runner struct {
	env      Env
	scenario string
	out      *Outcome
}

// name returns <label>.<scenario>.<domain> and records it.
func (r *runner) name(label string) string {
	n := label + "." + r.scenario + "." + r.env.Domain
	r.out.Names = append(r.out.Names, n)
	return n
}

// newKey makes a P-256 key, for accounts and certificates alike.
func newKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// client returns an x/crypto v1 client for key. RetryBackoff retries
// badNonce a few times and gives up on anything else at once: the default
// would retry a 429 until the context ends.
func (r *runner) client(key crypto.Signer) *acme.Client {
	return &acme.Client{
		Key:          key,
		HTTPClient:   r.env.HTTPClient,
		DirectoryURL: r.env.DirectoryURL,
		UserAgent:    userAgent,
		RetryBackoff: func(n int, _ *http.Request, res *http.Response) time.Duration {
			if res != nil && res.StatusCode == http.StatusBadRequest && n <= 3 {
				return 10 * time.Millisecond
			}
			return 0
		},
	}
}

// newAccount makes a fresh account key and a client for it.
func (r *runner) newAccount() (*acme.Client, error) {
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	r.out.AccountKey = key
	return r.client(key), nil
}

// register registers c's key, agreeing to the terms when agree is set. A
// key already registered (409) is fine: its Location is the account, which
// is what a re-running v1 client relied on.
func (r *runner) register(ctx context.Context, c *acme.Client, agree bool) error {
	acct, err := c.Register(ctx, &acme.Account{Contact: []string{"mailto:admin@" + r.env.Domain}},
		func(string) bool { return agree })
	if ae, ok := errors.AsType[*acme.Error](err); ok && ae.StatusCode == http.StatusConflict {
		loc := ae.Header.Get("Location")
		if loc == "" {
			return errors.New("register: 409 without Location")
		}
		r.out.AccountURL = loc
		return nil
	}
	if err != nil {
		return describe("register", err)
	}
	r.out.AccountURL = acct.URI
	if agree && acct.AgreedTerms == "" {
		return errors.New("register: terms accepted but the registration shows no agreement")
	}
	return nil
}

// authorize runs new-authz for name and records the URL.
func (r *runner) authorize(ctx context.Context, c *acme.Client, name string) (*acme.Authorization, error) {
	z, err := c.Authorize(ctx, name)
	if err != nil {
		return nil, describe("new-authz "+name, err)
	}
	r.out.AuthzURLs = append(r.out.AuthzURLs, z.URI)
	return z, nil
}

// solveOptions say how carefully the client answers a challenge.
type solveOptions struct {
	publish   bool // put the key authorization on the challenge server
	selfCheck bool // fetch it back before triggering, and stop if that fails
}

// errSelfCheck marks a failed self-check: the client stops there.
var errSelfCheck = errors.New("self-check failed")

// solve answers z's http-01 challenge and triggers it. It does not wait.
func (r *runner) solve(ctx context.Context, c *acme.Client, z *acme.Authorization, opt solveOptions) error {
	var chal *acme.Challenge
	for _, ch := range z.Challenges {
		if ch.Type == "http-01" {
			chal = ch
		}
	}
	if chal == nil {
		return fmt.Errorf("authorization %s offers no http-01 challenge", z.URI)
	}
	keyAuth, err := c.HTTP01ChallengeResponse(chal.Token)
	if err != nil {
		return describe("key authorization", err)
	}
	if opt.publish {
		r.env.Challenges.Publish(z.Identifier.Value, chal.Token, keyAuth)
	}
	if opt.selfCheck {
		if err := r.selfCheck(ctx, z.Identifier.Value, c.HTTP01ChallengePath(chal.Token), keyAuth); err != nil {
			return err
		}
	}
	if _, err := c.Accept(ctx, chal); err != nil {
		return describe("challenge POST", err)
	}
	return nil
}

// selfCheck fetches the client's own http-01 response as the CA would.
func (r *runner) selfCheck(ctx context.Context, name, path, keyAuth string) error {
	u := "http://" + net.JoinHostPort(name, strconv.Itoa(r.env.Challenges.Port())) + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := r.env.SelfCheckClient.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", errSelfCheck, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if err != nil {
		return fmt.Errorf("%w: reading %s: %v", errSelfCheck, u, err)
	}
	if got := strings.TrimRightFunc(string(body), unicode.IsSpace); resp.StatusCode != http.StatusOK || got != keyAuth {
		return fmt.Errorf("%w: %s answered %d", errSelfCheck, u, resp.StatusCode)
	}
	return nil
}

// validate solves z carefully and waits until it is valid.
func (r *runner) validate(ctx context.Context, c *acme.Client, z *acme.Authorization) error {
	if err := r.solve(ctx, c, z, solveOptions{publish: true, selfCheck: true}); err != nil {
		return err
	}
	if _, err := c.WaitAuthorization(ctx, z.URI); err != nil {
		return describe("waiting for "+z.URI, err)
	}
	return nil
}

// csr makes a DER CSR for names signed by key; the first name is the CN.
func csr(key crypto.Signer, names []string) ([]byte, error) {
	return x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: names[0]},
		DNSNames: names,
	}, key)
}

// issue requests a certificate for names with a fresh key, asks for the
// bundle (following Link rel="up") and checks the leaf's names. It returns
// the certificate key.
func (r *runner) issue(ctx context.Context, c *acme.Client, names []string) (crypto.Signer, error) {
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	der, err := csr(key, names)
	if err != nil {
		return nil, err
	}
	chain, certURL, err := c.CreateCert(ctx, der, 0, true)
	if err != nil {
		return nil, describe("new-cert", err)
	}
	r.out.CertURL, r.out.Certificate = certURL, chain
	if len(chain) != 2 {
		return nil, fmt.Errorf("new-cert: chain of %d certificates, want leaf and issuer", len(chain))
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, describe("parsing the leaf", err)
	}
	for _, n := range names {
		if leaf.VerifyHostname(n) != nil {
			return nil, fmt.Errorf("new-cert: leaf does not cover %s (names %v)", n, leaf.DNSNames)
		}
	}
	return key, nil
}

// expectProblem checks that err is the CA problem the scenario provoked and
// records it as the Outcome's Rejection.
func (r *runner) expectProblem(step string, err error, status int, typ, detail string) error {
	if err == nil {
		return fmt.Errorf("%s: succeeded, want %d %s", step, status, typ)
	}
	ae, ok := errors.AsType[*acme.Error](err)
	if !ok {
		return describe(step+": want an ACME problem", err)
	}
	if ae.StatusCode != status || ae.ProblemType != typ || !strings.Contains(ae.Detail, detail) {
		return fmt.Errorf("%s: got %d %s %q, want %d %s containing %q",
			step, ae.StatusCode, ae.ProblemType, ae.Detail, status, typ, detail)
	}
	r.out.Rejection = ae
	return nil
}
