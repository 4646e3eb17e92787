package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/legacyclient"
)

// lifecycleV1 is the v1-account-lifecycle scenario: the v1 requests that
// neither the acme-tiny-style client nor the pinned pre-RFC
// golang.org/x/crypto/acme sends (x/crypto's DeactivateReg needs an RFC
// 8555 kid and it has no key rollover before RFC 8555), built by the raw
// client of faults.go in Boulder's v1 format around an ordinary issuance.
func lifecycleV1(ctx context.Context, w *World) error {
	key := rsaKey()
	raw := newRaw(w, key)
	raw.v1 = true
	raw.ua = "acmeproxy-scenarios raw-jws (v1)"
	// The terms first: Boulder's GET /terms redirected to the agreement,
	// which the client shows rather than follows.
	raw.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if err := raw.discover(ctx); err != nil {
		return err
	}
	terms := strings.TrimSuffix(w.Directory, "/directory") + "/terms"
	r, err := raw.do(ctx, http.MethodGet, terms, nil, fault{})
	if err != nil {
		return err
	}
	if r.Status != http.StatusFound || r.Header.Get("Location") == "" {
		return fmt.Errorf("GET /terms: %d, Location %q; want a 302 to the agreement", r.Status, r.Header.Get("Location"))
	}

	res, err := legacyclient.Run(ctx, legacyclient.Options{
		DirectoryURL: w.Directory, HTTPClient: w.Client(), AccountKey: key, CSRKey: ecKey(), Names: []string{"a.example.test"},
		Provision: func(_, token, keyAuth string) bool {
			w.Challenges.Set(token, keyAuth)
			return true
		},
		SelfCheckPort: 80, PollInterval: 100 * time.Millisecond, FetchIssuer: true,
	})
	if err != nil {
		return err
	}
	reg := res.RegistrationURL

	// The registration, fetched: a reg POST with only "resource" (202).
	r, err = raw.post(ctx, reg, []byte(`{"resource":"reg"}`), fault{})
	if err != nil {
		return err
	}
	if err := r.want("reg fetch", http.StatusAccepted, "-"); err != nil {
		return err
	}

	// Boulder's v1 key change: the payload is a JWS signed by the new key
	// over {"account", "newKey"}, plus "resource": "key-change".
	newKey := ecKey()
	jwk, err := jwkFor(newKey.Public())
	if err != nil {
		return err
	}
	prot, err := json.Marshal(map[string]any{"alg": algFor(newKey), "jwk": jwk})
	if err != nil {
		return err
	}
	payload, err := json.Marshal(map[string]any{"account": reg, "newKey": jwk})
	if err != nil {
		return err
	}
	input := b64(prot) + "." + b64(payload)
	sig, err := signJWS(newKey, []byte(input))
	if err != nil {
		return err
	}
	outer, err := json.Marshal(map[string]string{"protected": b64(prot), "payload": b64(payload), "signature": b64(sig), "resource": "key-change"})
	if err != nil {
		return err
	}
	if r, err = raw.post(ctx, raw.dir["key-change"], outer, fault{}); err != nil {
		return err
	}
	if err := r.want("key-change", http.StatusOK, "-"); err != nil {
		return err
	}
	raw.key = newKey

	// The account closed, with the new key.
	if r, err = raw.post(ctx, reg, []byte(`{"resource":"reg","status":"deactivated"}`), fault{}); err != nil {
		return err
	}
	if err := r.want("reg deactivation", http.StatusOK, "-"); err != nil {
		return err
	}
	if !strings.Contains(string(r.Body), `"deactivated"`) {
		return fmt.Errorf("reg deactivation answered %s", r.Body)
	}
	return nil
}

func init() {
	register(
		Scenario{Name: "v1-account-lifecycle", V1: true,
			Description: "A v1 account's other requests around an acme-tiny-style issuance: GET /terms (302), reg fetch, " +
				"Boulder's v1 key change, and deactivation of the registration with the new key (hand-built JWS).",
			Run: lifecycleV1},
	)
}
