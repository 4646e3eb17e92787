package scenarios

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"

	legoacme "github.com/go-acme/lego/v5/acme"
	"github.com/go-acme/lego/v5/certcrypto"
	"github.com/go-acme/lego/v5/certificate"
	"github.com/go-acme/lego/v5/lego"
	legolog "github.com/go-acme/lego/v5/log"
	"github.com/go-acme/lego/v5/registration"
)

// legoUser is the registration.User lego asks for: an e-mail, a key and
// the account once registered.
type legoUser struct {
	email string
	key   crypto.Signer
	reg   *legoacme.ExtendedAccount
}

func (u *legoUser) GetEmail() string                           { return u.email }
func (u *legoUser) GetRegistration() *legoacme.ExtendedAccount { return u.reg }
func (u *legoUser) GetPrivateKey() crypto.Signer               { return u.key }

// legoHTTP01 is a lego challenge.Provider that publishes key
// authorizations on the world's challenge server, where Pebble's VA
// fetches them (lego's own http01.ProviderServer would listen on port 80).
type legoHTTP01 struct{ w *World }

func (p legoHTTP01) Present(_ context.Context, _, token, keyAuth string) error {
	p.w.Challenges.Set(token, keyAuth)
	return nil
}

func (p legoHTTP01) CleanUp(_ context.Context, _, token, _ string) error {
	p.w.Challenges.Remove(token)
	return nil
}

// legoHappy runs lego v5 as a library: a client whose HTTP client goes
// through the recording proxy (lego.Config.HTTPClient), an account, and
// one certificate for two names over HTTP-01.
func legoHappy(ctx context.Context, w *World) error {
	// lego logs every step to stdout through its default slog logger.
	legolog.SetDefault(slog.New(slog.DiscardHandler))
	user := &legoUser{email: "admin@example.test", key: ecKey()}
	cfg := lego.NewConfig(user)
	cfg.CADirURL = w.Directory
	cfg.HTTPClient = w.Client()
	cfg.UserAgent = "acmeproxy-scenarios"
	client, err := lego.NewClient(cfg)
	if err != nil {
		return fmt.Errorf("lego: %w", err)
	}
	if err := client.Challenge.SetHTTP01Provider(legoHTTP01{w}); err != nil {
		return err
	}
	reg, err := client.Registration.Register(ctx, registration.RegisterOptions{TermsOfServiceAgreed: true})
	if err != nil {
		return fmt.Errorf("lego: registering: %w", err)
	}
	user.reg = reg
	names := []string{"a.example.test", "www.example.test"}
	res, err := client.Certificate.Obtain(ctx, certificate.ObtainRequest{Domains: names, Bundle: true, KeyType: certcrypto.EC256})
	if err != nil {
		return fmt.Errorf("lego: obtaining: %w", err)
	}
	block, _ := pem.Decode(res.Certificate)
	if block == nil {
		return errors.New("lego: no PEM certificate")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	for _, n := range names {
		if leaf.VerifyHostname(n) != nil {
			return fmt.Errorf("lego: certificate does not cover %s (%v)", n, leaf.DNSNames)
		}
	}
	return nil
}

func init() {
	register(
		Scenario{Name: "v2-lego-happy",
			// lego waits about 5 s (its default when the challenge answer
			// has no Retry-After) if the authorization is still pending at
			// its first poll, so this run takes 0.2 s to 8 s.
			Description: "lego v5 as a library, through the proxy: account, order for two names, HTTP-01 via a custom provider, " +
				"finalize, certificate download.",
			Run: legoHappy},
	)
}
