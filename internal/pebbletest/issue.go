package pebbletest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"

	"golang.org/x/crypto/acme"
)

// Issue drives a whole RFC 8555 issuance with client: new account (if the
// client has none registered yet), new order for names, one http-01
// challenge per authorization answered through s.Challenges, finalize and
// certificate download. It returns the certificate chain (DER, leaf
// first) and the certificate key.
func (s *Server) Issue(ctx context.Context, client *acme.Client, names ...string) ([][]byte, crypto.Signer, error) {
	if _, err := client.GetReg(ctx, ""); err != nil {
		if _, err := client.Register(ctx, &acme.Account{}, acme.AcceptTOS); err != nil {
			return nil, nil, fmt.Errorf("registering account: %w", err)
		}
	}
	order, err := client.AuthorizeOrder(ctx, acme.DomainIDs(names...))
	if err != nil {
		return nil, nil, fmt.Errorf("creating order: %w", err)
	}
	for _, u := range order.AuthzURLs {
		if err := s.solveHTTP01(ctx, client, u); err != nil {
			return nil, nil, err
		}
	}
	if _, err := client.WaitOrder(ctx, order.URI); err != nil {
		return nil, nil, fmt.Errorf("waiting for order: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating certificate key: %w", err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: names}, key)
	if err != nil {
		return nil, nil, fmt.Errorf("creating CSR: %w", err)
	}
	chain, _, err := client.CreateCertFromOrder(ctx, order, csr, true)
	if err != nil {
		return nil, nil, fmt.Errorf("finalizing order: %w", err)
	}
	return chain, key, nil
}

// solveHTTP01 answers the authorization's http-01 challenge and waits for
// the authorization to become valid.
func (s *Server) solveHTTP01(ctx context.Context, client *acme.Client, authzURL string) error {
	authz, err := client.GetAuthorization(ctx, authzURL)
	if err != nil {
		return fmt.Errorf("fetching authorization: %w", err)
	}
	if authz.Status == acme.StatusValid {
		return nil
	}
	var chal *acme.Challenge
	for _, c := range authz.Challenges {
		if c.Type == "http-01" {
			chal = c
		}
	}
	if chal == nil {
		return fmt.Errorf("authorization %s offers no http-01 challenge", authzURL)
	}
	keyAuth, err := client.HTTP01ChallengeResponse(chal.Token)
	if err != nil {
		return fmt.Errorf("computing key authorization: %w", err)
	}
	s.Challenges.Set(chal.Token, keyAuth)
	defer s.Challenges.Remove(chal.Token)
	if _, err := client.Accept(ctx, chal); err != nil {
		return fmt.Errorf("accepting challenge: %w", err)
	}
	if _, err := client.WaitAuthorization(ctx, authzURL); err != nil {
		return fmt.Errorf("waiting for authorization: %w", err)
	}
	return nil
}
