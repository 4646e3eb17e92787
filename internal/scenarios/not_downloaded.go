package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// The scenario of this file finalizes an order with the raw client and
// stops before fetching the certificate: x/crypto/acme and lego always
// fetch it.

func init() {
	register(Scenario{Name: "v2-cert-not-downloaded",
		Description: "A hand-rolled client validates its order's authorization over HTTP-01, finalizes, polls the order until " +
			"it is valid with a certificate URL, and exits without fetching the certificate.",
		Run: func(ctx context.Context, w *World) error {
			c, o, err := ordering(ctx, w, "a.example.test")
			if err != nil {
				return err
			}
			if err := c.validateHTTP01(ctx, w, o.Authorizations[0]); err != nil {
				return err
			}
			if _, err := c.pollOrder(ctx, o.URL, "ready"); err != nil {
				return err
			}
			csr, err := csrFor(ecKey(), false, "a.example.test")
			if err != nil {
				return err
			}
			r, err := c.post(ctx, o.Finalize, fmt.Appendf(nil, `{"csr":%q}`, b64(csr)), fault{})
			if err != nil {
				return err
			}
			if err := r.want("finalize", http.StatusOK, "-"); err != nil {
				return err
			}
			done, err := c.pollOrder(ctx, o.URL, "valid")
			if err != nil {
				return err
			}
			if done.Certificate == "" {
				return errors.New("the valid order names no certificate URL")
			}
			return nil // and never fetches it
		}})
}

// validateHTTP01 serves and triggers the authorization's http-01
// challenge, then polls the authorization until it is valid.
func (c *raw) validateHTTP01(ctx context.Context, w *World, zURL string) error {
	chURL, err := c.serveHTTP01(ctx, w, zURL)
	if err != nil {
		return err
	}
	r, err := c.post(ctx, chURL, []byte(`{}`), fault{})
	if err != nil {
		return err
	}
	if err := r.want("challenge", http.StatusOK, "-"); err != nil {
		return err
	}
	for {
		z, _, err := c.authz(ctx, zURL)
		if err != nil {
			return err
		}
		switch z.Status {
		case "valid":
			return nil
		case "pending", "processing":
		default:
			return fmt.Errorf("authorization %s", z.Status)
		}
		if err := pause(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// orderState is the part of an order a poll reads.
type orderState struct {
	Status      string `json:"status"`
	Certificate string `json:"certificate"`
}

// pollOrder polls the order (POST-as-GET) until its status is want.
func (c *raw) pollOrder(ctx context.Context, u, want string) (*orderState, error) {
	for {
		r, err := c.post(ctx, u, nil, fault{})
		if err != nil {
			return nil, err
		}
		if err := r.want("order", http.StatusOK, "-"); err != nil {
			return nil, err
		}
		var o orderState
		if err := json.Unmarshal(r.Body, &o); err != nil {
			return nil, fmt.Errorf("order: %w", err)
		}
		switch o.Status {
		case want:
			return &o, nil
		case "invalid":
			return nil, errors.New("order invalid")
		}
		if err := pause(ctx, 100*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// pause waits d, or until ctx is done.
func pause(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
