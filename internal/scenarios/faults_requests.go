package scenarios

import (
	"context"
	"fmt"
	"net/http"

	"github.com/acmeproxy/acmeproxy/internal/legacyca"
)

// faultCase is one broken request and the answer the CA must give it.
type faultCase struct {
	what    string
	method  string // POST unless set
	url     func(c *raw) string
	payload []byte // nil: POST-as-GET
	fault   fault
	status  int
	problem string // problem type name; "" for any
	// lenient accepts any answer: for faults the proxy may mask.
	lenient bool
}

// send runs the cases in order, each with a fresh nonce, and checks that
// the CA refused each as expected.
func (c *raw) send(ctx context.Context, cases []faultCase) error {
	for _, fc := range cases {
		var r *reply
		var err error
		switch fc.method {
		case "", http.MethodPost:
			r, err = c.post(ctx, fc.url(c), fc.payload, fc.fault)
		default:
			r, err = c.do(ctx, fc.method, fc.url(c), nil, fc.fault)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", fc.what, err)
		}
		if fc.lenient {
			continue
		}
		if err := r.want(fc.what, fc.status, fc.problem); err != nil {
			return err
		}
	}
	return nil
}

func dirURL(name string) func(*raw) string { return func(c *raw) string { return c.dir[name] } }
func fixed(u string) func(*raw) string     { return func(*raw) string { return u } }

var orderA = orderPayload("a.example.test")

func init() {
	register(
		Scenario{Name: "v2-fault-jws",
			Description: "A hand-rolled client with a real account sends newOrder and newAccount requests whose JWS is broken one way at a time " +
				"(signature, alg, url, kid/jwk, serialization); Pebble refuses each.",
			Run: func(ctx context.Context, w *World) error {
				c := newRaw(w, nil)
				if err := c.register(ctx); err != nil {
					return err
				}
				newOrder := dirURL("newOrder")
				cases := []faultCase{
					{what: "flipped signature bit", url: newOrder, payload: orderA, fault: fault{flipSig: true}, status: 400, problem: "malformed"},
					{what: "ES256 signature in DER", url: newOrder, payload: orderA, fault: fault{sign: derSign(c.key)}, status: 400, problem: "malformed"},
					{what: "alg none", url: newOrder, payload: orderA,
						fault:  fault{alg: "none", sign: func([]byte) ([]byte, error) { return nil, nil }},
						status: 400, problem: "badSignatureAlgorithm"},
					{what: "alg HS256", url: newOrder, payload: orderA, fault: fault{alg: "HS256", sign: hs256([]byte("shared secret"))},
						status: 400, problem: "badSignatureAlgorithm"},
					{what: "alg RS256 with an EC key", url: newOrder, payload: orderA, fault: fault{alg: "RS256"}, status: 400, problem: "malformed"},
					{what: "no url", url: newOrder, payload: orderA, fault: fault{noURL: true}, status: 400, problem: "malformed"},
					{what: "url of another resource", url: newOrder, payload: orderA, fault: fault{url: c.dir["newAccount"]}, status: 400, problem: "malformed"},
					{what: "kid on newAccount", url: dirURL("newAccount"), payload: []byte(`{"termsOfServiceAgreed":true}`),
						fault: fault{key: "kid"}, status: 400, problem: "malformed"},
					{what: "jwk on newOrder", url: newOrder, payload: orderA, fault: fault{key: "jwk"}, status: 400, problem: "malformed"},
					{what: "jwk and kid", url: newOrder, payload: orderA, fault: fault{key: "both"}, status: 400, problem: "malformed"},
					{what: "unprotected header", url: newOrder, payload: orderA, fault: fault{header: map[string]string{"alg": "ES256"}},
						status: 400, problem: "malformed"},
					{what: "padded base64url payload", url: newOrder, payload: orderA, fault: fault{padded: true}, status: 400, problem: "malformed"},
					{what: "general serialization", url: newOrder, payload: orderA, fault: fault{form: "general"}, status: 400, problem: "malformed"},
					{what: "compact serialization", url: newOrder, payload: orderA, fault: fault{form: "compact"}, status: 400, problem: "malformed"},
				}
				if err := c.send(ctx, cases); err != nil {
					return err
				}
				// An Ed25519 account key: RFC 8555 §6.2 says servers SHOULD
				// accept EdDSA; Pebble and Let's Encrypt do not.
				ed := newRaw(w, edKey())
				ed.dir = c.dir
				return ed.send(ctx, []faultCase{{what: "EdDSA account key", url: dirURL("newAccount"),
					payload: []byte(`{"termsOfServiceAgreed":true}`), status: 400, problem: "badSignatureAlgorithm"}})
			}},
		Scenario{Name: "v2-fault-http",
			Description: "A hand-rolled client with a real account and order gets the HTTP layer and POST-as-GET wrong one way at a time " +
				"(Content-Type, Replay-Nonce and User-Agent headers, plain GET, payloads where none belongs, keyAuthorization in the challenge response).",
			Run: func(ctx context.Context, w *World) error {
				c, o, err := ordering(ctx, w, "a.example.test")
				if err != nil {
					return err
				}
				zURL := o.Authorizations[0]
				z, _, err := c.authz(ctx, zURL)
				if err != nil {
					return err
				}
				chURL, token, err := z.http01()
				if err != nil {
					return err
				}
				ka, err := c.keyAuthorization(token)
				if err != nil {
					return err
				}
				return c.send(ctx, []faultCase{
					{what: "Content-Type application/json", url: fixed(o.URL), fault: fault{ctype: "application/json"}, status: 415, problem: "malformed"},
					{what: "Replay-Nonce request header", url: fixed(o.URL), fault: fault{extra: http.Header{"Replay-Nonce": {"client-sent-nonce"}}},
						status: 400, problem: "malformed"},
					// Pebble refuses a request without User-Agent, but the
					// proxy's upstream transport adds Go's default one, so
					// the answer depends on the proxy: only the request is
					// the point here.
					{what: "no User-Agent", url: fixed(o.URL), fault: fault{noUA: true}, lenient: true},
					{what: "plain GET of the authorization", method: http.MethodGet, url: fixed(zURL), status: 405, problem: "malformed"},
					{what: "plain GET of the order", method: http.MethodGet, url: fixed(o.URL), status: 405, problem: "malformed"},
					{what: "POST-as-GET of the order with a payload", url: fixed(o.URL), payload: []byte(`{}`), status: 400, problem: "malformed"},
					{what: "{} to poll the authorization", url: fixed(zURL), payload: []byte(`{}`), status: 400, problem: "malformed"},
					{what: "keyAuthorization in the challenge response", url: fixed(chURL),
						payload: fmt.Appendf(nil, `{"keyAuthorization":%q}`, ka), status: 400, problem: "malformed"},
				})
			}},
		Scenario{Name: "v2-fault-nonce",
			Description: "A hand-rolled client sends newOrder without a nonce, with a nonce that is not base64url, then correctly, " +
				"then again with the nonce it just used; each badNonce is followed by a good request.",
			Run: func(ctx context.Context, w *World) error {
				c := newRaw(w, nil)
				if err := c.register(ctx); err != nil {
					return err
				}
				if err := c.send(ctx, []faultCase{
					{what: "no nonce", url: dirURL("newOrder"), payload: orderA, fault: fault{noNonce: true}, status: 400, problem: "badNonce"},
					{what: "nonce not base64url", url: dirURL("newOrder"), payload: orderA, fault: fault{nonce: "nonce#1/not+base64url="},
						status: 400, problem: "badNonce"},
				}); err != nil {
					return err
				}
				used, err := c.freshNonce(ctx)
				if err != nil {
					return err
				}
				return c.send(ctx, []faultCase{
					{what: "good request", url: dirURL("newOrder"), payload: orderA, fault: fault{nonce: used}, status: 201, problem: "-"},
					{what: "the same nonce again", url: dirURL("newOrder"), payload: orderA, fault: fault{nonce: used}, status: 400, problem: "badNonce"},
					{what: "retry with a fresh nonce", url: dirURL("newOrder"), payload: orderA, status: 201, problem: "-"},
				})
			}},
		Scenario{Name: "v1-fault-resource", V1: true,
			Description: "A hand-rolled v1 client registers, then posts a contact update to its registration with \"resource\": \"new-reg\" " +
				"and a new-authz without \"resource\"; the CA refuses both (400 malformed).",
			Run: func(ctx context.Context, w *World) error {
				c := newRaw(w, rsaKey())
				c.v1 = true
				if err := c.discover(ctx); err != nil {
					return err
				}
				terms := legacyca.DefaultTermsOfService
				r, err := c.post(ctx, c.dir["new-reg"], fmt.Appendf(nil, `{"resource":"new-reg","agreement":%q}`, terms), fault{})
				if err != nil {
					return err
				}
				if err := r.want("new-reg", http.StatusCreated, "-"); err != nil {
					return err
				}
				reg := r.Header.Get("Location")
				return c.send(ctx, []faultCase{
					{what: "reg update with resource new-reg", url: fixed(reg),
						payload: []byte(`{"resource":"new-reg","contact":["mailto:admin@example.test"]}`), status: 400, problem: "malformed"},
					{what: "new-authz without resource", url: dirURL("new-authz"),
						payload: []byte(`{"identifier":{"type":"dns","value":"a.example.test"}}`), status: 400, problem: "malformed"},
				})
			}},
	)
}
