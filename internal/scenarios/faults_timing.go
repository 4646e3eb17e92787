package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/acmeproxy/acmeproxy/internal/pebbletest"
)

// The scenarios of this file are about time and retries: badNonce
// handling, Retry-After, polling speed, and a CA that goes away.

var tos = []byte(`{"termsOfServiceAgreed":true}`)

// slowVA makes Pebble's VA take up to two seconds per validation and ask
// pollers to wait three, as Boulder does for orders (acme-reference §6.2).
var slowVA = pebbletest.Options{VASleep: true, VASleepSeconds: 3, RetryAfterAuthz: 3, RetryAfterOrder: 3}

func init() {
	register(
		Scenario{Name: "v2-bad-nonce-storm", Pebble: pebbletest.Options{NonceRejectPercent: 100},
			Description: "Pebble refuses every nonce; the client retries newAccount eight times in a row, each time with a nonce " +
				"fetched from newNonce instead of the one the badNonce answer carried, then gives up.",
			Run: func(ctx context.Context, w *World) error {
				c := newRaw(w, nil)
				if err := c.discover(ctx); err != nil {
					return err
				}
				for i := range 8 {
					c.nonce = "" // the client ignores the Replay-Nonce of the answer
					r, err := c.post(ctx, c.dir["newAccount"], tos, fault{})
					if err != nil {
						return err
					}
					if err := r.want(fmt.Sprintf("newAccount try %d", i+1), http.StatusBadRequest, "badNonce"); err != nil {
						return err
					}
				}
				return nil
			}},
		Scenario{Name: "v2-bad-nonce-given-up", Pebble: pebbletest.Options{NonceRejectPercent: 100},
			Description: "The client's first request (newAccount) is refused with badNonce and it exits with the error " +
				"instead of retrying with the Replay-Nonce the answer carried.",
			Run: func(ctx context.Context, w *World) error {
				c := newRaw(w, nil)
				if err := c.discover(ctx); err != nil {
					return err
				}
				r, err := c.post(ctx, c.dir["newAccount"], tos, fault{})
				if err != nil {
					return err
				}
				return r.want("newAccount", http.StatusBadRequest, "badNonce")
			}},
		Scenario{Name: "v2-bad-nonce-interleaved",
			Description: "A client with two requests in flight, as lego's nonce pool makes them: it fetches both authorizations " +
				"of an order with nonces the CA never issued, and each is refused with badNonce; it sends the first again, " +
				"refused again, then the second and the first with the nonces the answers carried, and both succeed.",
			Run: func(ctx context.Context, w *World) error {
				c, o, err := ordering(ctx, w, "a.example.test", "b.example.test")
				if err != nil {
					return err
				}
				za, zb := o.Authorizations[0], o.Authorizations[1]
				// Well-formed nonces the CA never issued: refused as stale.
				steps := []struct {
					what, url, nonce string
					status           int
					problem          string
				}{
					{"first authorization", za, "c3RhbGUtbm9uY2UtMQ", 400, "badNonce"},
					{"second authorization", zb, "c3RhbGUtbm9uY2UtMg", 400, "badNonce"},
					{"first authorization again", za, "c3RhbGUtbm9uY2UtMw", 400, "badNonce"},
					{"second authorization, retried", zb, "", 200, "-"},
					{"first authorization, retried", za, "", 200, "-"},
				}
				offered := map[string]string{} // URL → Replay-Nonce of its last badNonce answer
				for _, st := range steps {
					nonce := st.nonce
					if nonce == "" {
						nonce = offered[st.url]
					}
					r, err := c.post(ctx, st.url, nil, fault{nonce: nonce})
					if err != nil {
						return err
					}
					if err := r.want(st.what, st.status, st.problem); err != nil {
						return err
					}
					offered[st.url] = r.Header.Get("Replay-Nonce")
				}
				return nil
			}},
		Scenario{Name: "v2-retry-after", Pebble: slowVA,
			Description: "Pebble asks for Retry-After: 3 while it validates and issues; golang.org/x/crypto/acme waits as asked and gets the certificate.",
			Run: func(ctx context.Context, w *World) error {
				return issue(ctx, w, v2Client(w, nil), []string{"a.example.test"}, nil, false, "a.example.test")
			}},
		Scenario{Name: "v2-retry-after-ignored", Pebble: slowVA,
			Description: "The client polls every 250 ms whatever the CA says: Pebble answers its first poll of the authorization " +
				"with Retry-After: 3 and the client polls again 250 ms later, then gives up waiting.",
			Run: func(ctx context.Context, w *World) error {
				c := newRaw(w, nil)
				if err := c.register(ctx); err != nil {
					return err
				}
				// Pebble's VA sleeps 0-2 s at random, and Retry-After comes
				// only while it works: try again in the rare run where the
				// validation was over before the first poll.
				for range 5 {
					asked, err := pollIgnoringRetryAfter(ctx, w, c)
					if err != nil || asked {
						return err
					}
				}
				return errors.New("Pebble never sent Retry-After")
			}},
		Scenario{Name: "v2-poll-tight-loop",
			Description: "The client posts \"\" instead of {} to the challenge (a fetch: validation never starts), then polls the " +
				"authorization eight times and the order six times, 50 ms apart, and gives up.",
			Run: func(ctx context.Context, w *World) error {
				c, o, err := ordering(ctx, w, "a.example.test")
				if err != nil {
					return err
				}
				z, _, err := c.authz(ctx, o.Authorizations[0])
				if err != nil {
					return err
				}
				chURL, _, err := z.http01()
				if err != nil {
					return err
				}
				polls := []faultCase{{what: "challenge POST-as-GET", url: fixed(chURL), status: 200, problem: "-"}}
				for range 8 {
					polls = append(polls, faultCase{what: "authorization poll", url: fixed(o.Authorizations[0]), status: 200, problem: "-"})
				}
				for range 6 {
					polls = append(polls, faultCase{what: "order poll", url: fixed(o.URL), status: 200, problem: "-"})
				}
				for _, p := range polls {
					if err := c.send(ctx, []faultCase{p}); err != nil {
						return err
					}
					time.Sleep(50 * time.Millisecond)
				}
				return nil
			}},
		Scenario{Name: "v2-upstream-gone",
			Description: "golang.org/x/crypto/acme registers and creates an order; then the CA goes away, and the client's next " +
				"request and its retry's nonce fetch get the proxy's 502.",
			Run: func(ctx context.Context, w *World) error {
				c := v2Client(w, nil)
				c.RetryBackoff = func(n int, _ *http.Request, _ *http.Response) time.Duration {
					if n > 1 {
						return -1
					}
					return 100 * time.Millisecond
				}
				o, err := orderFor(ctx, c, "a.example.test")
				if err != nil {
					return err
				}
				w.Pebble.Close()
				_, err = c.GetAuthorization(ctx, o.AuthzURLs[0])
				if ae, ok := errors.AsType[*acme.Error](err); !ok || ae.StatusCode != http.StatusBadGateway {
					return fmt.Errorf("want the proxy's 502, got %v", err)
				}
				return nil
			}},
	)
}

// pollIgnoringRetryAfter creates an order, serves and triggers its http-01
// challenge, polls the authorization, and, if the answer asked to wait,
// polls again after 250 ms. It reports whether the CA asked.
func pollIgnoringRetryAfter(ctx context.Context, w *World, c *raw) (bool, error) {
	o, err := c.newOrder(ctx, "a.example.test")
	if err != nil {
		return false, err
	}
	zURL := o.Authorizations[0]
	chURL, err := c.serveHTTP01(ctx, w, zURL)
	if err != nil {
		return false, err
	}
	if err := c.send(ctx, []faultCase{{what: "trigger", url: fixed(chURL), payload: []byte(`{}`), status: 200, problem: "-"}}); err != nil {
		return false, err
	}
	_, r, err := c.authz(ctx, zURL)
	if err != nil || r.Header.Get("Retry-After") == "" {
		return false, err
	}
	time.Sleep(250 * time.Millisecond)
	_, _, err = c.authz(ctx, zURL)
	return true, err
}
