package v1client

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/crypto/acme"
)

// The scenario scripts. Each returns nil when the CA answered as Boulder's
// v1 API did (acme-reference.md §4, §6–§8, §11).

const (
	probMalformed    = "urn:acme:error:malformed"
	probUnauthorized = "urn:acme:error:unauthorized"
	probRateLimited  = "urn:acme:error:rateLimited"
)

// issueFor registers a fresh account, validates every name and issues one
// certificate for all of them. It returns the client and the certificate
// key.
func (r *runner) issueFor(ctx context.Context, labels ...string) (*acme.Client, crypto.Signer, error) {
	c, err := r.newAccount()
	if err != nil {
		return nil, nil, err
	}
	if err := r.register(ctx, c, true); err != nil {
		return nil, nil, err
	}
	var names []string
	for _, l := range labels {
		name := r.name(l)
		z, err := r.authorize(ctx, c, name)
		if err != nil {
			return nil, nil, err
		}
		if err := r.validate(ctx, c, z); err != nil {
			return nil, nil, err
		}
		names = append(names, name)
	}
	key, err := r.issue(ctx, c, names)
	return c, key, err
}

func runOneName(ctx context.Context, r *runner) error {
	_, _, err := r.issueFor(ctx, "www")
	return err
}

func runTwoNames(ctx context.Context, r *runner) error {
	_, _, err := r.issueFor(ctx, "www", "api")
	return err
}

// orphan registers c and leaves a pending authorization for name behind a
// failed self-check (nothing published).
func (r *runner) orphan(ctx context.Context, c *acme.Client, name string) (*acme.Authorization, error) {
	if err := r.register(ctx, c, true); err != nil {
		return nil, err
	}
	z, err := r.authorize(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if z.Status != acme.StatusPending {
		return nil, fmt.Errorf("new authorization %s is %s, want pending", z.URI, z.Status)
	}
	err = r.solve(ctx, c, z, solveOptions{publish: false, selfCheck: true})
	if !errors.Is(err, errSelfCheck) {
		return nil, fmt.Errorf("self-check with nothing published: got %v, want a failure", err)
	}
	return z, nil
}

func runSelfCheckFails(ctx context.Context, r *runner) error {
	c, err := r.newAccount()
	if err != nil {
		return err
	}
	_, err = r.orphan(ctx, c, r.name("www"))
	return err
}

func runSecondNameInvalid(ctx context.Context, r *runner) error {
	c, err := r.newAccount()
	if err != nil {
		return err
	}
	if err := r.register(ctx, c, true); err != nil {
		return err
	}
	var authzs []*acme.Authorization
	for i, label := range []string{"www", "api"} {
		z, err := r.authorize(ctx, c, r.name(label))
		if err != nil {
			return err
		}
		// Only the first name is published; no self-check catches it.
		if err := r.solve(ctx, c, z, solveOptions{publish: i == 0}); err != nil {
			return err
		}
		authzs = append(authzs, z)
	}
	if _, err := c.WaitAuthorization(ctx, authzs[0].URI); err != nil {
		return describe("first name", err)
	}
	_, err = c.WaitAuthorization(ctx, authzs[1].URI)
	ae, ok := errors.AsType[*acme.AuthorizationError](err)
	if !ok {
		return fmt.Errorf("second name: got %v, want an authorization error", err)
	}
	for _, e := range ae.Errors {
		if pe, ok := errors.AsType[*acme.Error](e); ok && pe.ProblemType == probUnauthorized {
			r.out.Rejection = ae
			return nil
		}
	}
	return fmt.Errorf("second name failed without an unauthorized problem: %v", ae)
}

func runRecycledPending(ctx context.Context, r *runner) error {
	first, err := r.newAccount()
	if err != nil {
		return err
	}
	name := r.name("www")
	orphaned, err := r.orphan(ctx, first, name)
	if err != nil {
		return describe("first run", err)
	}
	// Second run: a new client process with the same account key.
	second := r.client(r.out.AccountKey)
	if err := r.register(ctx, second, true); err != nil {
		return describe("second run", err)
	}
	z, err := r.authorize(ctx, second, name)
	if err != nil {
		return err
	}
	if z.URI != orphaned.URI || z.Status != acme.StatusPending {
		return fmt.Errorf("second run got %s (%s), want the recycled pending %s", z.URI, z.Status, orphaned.URI)
	}
	if err := r.validate(ctx, second, z); err != nil {
		return err
	}
	_, err = r.issue(ctx, second, []string{name})
	return err
}

func runReusedValid(ctx context.Context, r *runner) error {
	if _, _, err := r.issueFor(ctx, "www"); err != nil {
		return describe("first run", err)
	}
	second := r.client(r.out.AccountKey)
	if err := r.register(ctx, second, true); err != nil {
		return describe("second run", err)
	}
	name := r.out.Names[0]
	z, err := r.authorize(ctx, second, name)
	if err != nil {
		return err
	}
	if z.URI != r.out.AuthzURLs[0] || z.Status != acme.StatusValid {
		return fmt.Errorf("second run got %s (%s), want the valid %s", z.URI, z.Status, r.out.AuthzURLs[0])
	}
	_, err = r.issue(ctx, second, []string{name})
	return err
}

func runRateLimited(ctx context.Context, r *runner) error {
	c, err := r.newAccount()
	if err != nil {
		return err
	}
	if err := r.register(ctx, c, true); err != nil {
		return err
	}
	for _, label := range []string{"one", "two"} {
		if _, err := r.authorize(ctx, c, r.name(label)); err != nil {
			return err
		}
	}
	_, err = c.Authorize(ctx, r.name("three"))
	if err := r.expectProblem("third new-authz", err, http.StatusTooManyRequests, probRateLimited,
		"too many currently pending authorizations"); err != nil {
		return err
	}
	if _, ok := acme.RateLimit(err); !ok {
		return errors.New("x/crypto does not recognise the 429 as a rate limit")
	}
	return nil
}

func runAccountKeyCSR(ctx context.Context, r *runner) error {
	c, err := r.newAccount()
	if err != nil {
		return err
	}
	if err := r.register(ctx, c, true); err != nil {
		return err
	}
	name := r.name("www")
	z, err := r.authorize(ctx, c, name)
	if err != nil {
		return err
	}
	if err := r.validate(ctx, c, z); err != nil {
		return err
	}
	der, err := csr(c.Key, []string{name})
	if err != nil {
		return err
	}
	_, _, err = c.CreateCert(ctx, der, 0, true)
	return r.expectProblem("new-cert", err, http.StatusBadRequest, probMalformed,
		"certificate public key must be different than account key")
}

func runNoAuthz(ctx context.Context, r *runner) error {
	c, err := r.newAccount()
	if err != nil {
		return err
	}
	if err := r.register(ctx, c, true); err != nil {
		return err
	}
	names := []string{r.name("www"), r.name("api")}
	_, err = r.issue(ctx, c, names)
	// The CA lists the names sorted.
	return r.expectProblem("new-cert", err, http.StatusForbidden, probUnauthorized,
		"authorizations for these names not found or expired: "+names[1]+", "+names[0])
}

func runTermsNotAgreed(ctx context.Context, r *runner) error {
	c, err := r.newAccount()
	if err != nil {
		return err
	}
	if err := r.register(ctx, c, false); err != nil {
		return err
	}
	_, err = c.Authorize(ctx, r.name("www"))
	return r.expectProblem("new-authz", err, http.StatusForbidden, probUnauthorized,
		"Must agree to subscriber agreement before any further actions")
}

func runDeactivatePending(ctx context.Context, r *runner) error {
	c, err := r.newAccount()
	if err != nil {
		return err
	}
	z, err := r.orphan(ctx, c, r.name("www"))
	if err != nil {
		return err
	}
	if err := c.RevokeAuthorization(ctx, z.URI); err != nil {
		return describe("deactivation", err)
	}
	got, err := c.GetAuthorization(ctx, z.URI)
	if err != nil {
		return describe("polling after deactivation", err)
	}
	if got.Status != acme.StatusDeactivated {
		return fmt.Errorf("after deactivation the authorization is %s", got.Status)
	}
	return nil
}

func runRevokeByCertKey(ctx context.Context, r *runner) error {
	c, key, err := r.issueFor(ctx, "www")
	if err != nil {
		return err
	}
	leaf := r.out.Certificate[0]
	if err := c.RevokeCert(ctx, key, leaf, acme.CRLReasonKeyCompromise); err != nil {
		return describe("revoke-cert", err)
	}
	err = c.RevokeCert(ctx, key, leaf, acme.CRLReasonKeyCompromise)
	return r.expectProblem("second revoke-cert", err, http.StatusConflict, probMalformed, "already revoked")
}
