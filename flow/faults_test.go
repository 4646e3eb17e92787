package flow_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/journal"
)

// recording is the path of a recording of the corpus under
// examples/recordings (made by internal/scenarios).
func recording(name string) string {
	return filepath.Join("..", "examples", "recordings", name+".jsonl")
}

// badNonce streaks count consecutive refusals of the same request (same
// URL): a success in between starts a new streak, requests to other URLs
// in between do not, and a retry is recognised after them.
func TestBadNonceStreaks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		streaks []int
		retried []bool
		offered []bool // the retry used the Replay-Nonce of the badNonce answer
	}{
		// no nonce, a nonce that is not base64url, a good request (with
		// the offered nonce), the same nonce again, a good retry
		{"v2-fault-nonce", []int{1, 2, 1}, []bool{true, true, true}, []bool{false, true, true}},
		// each retry with a nonce from newNonce
		{"v2-bad-nonce-storm", []int{1, 2, 3, 4, 5, 6, 7, 8},
			[]bool{true, true, true, true, true, true, true, false}, make([]bool, 8)},
		{"v2-bad-nonce-given-up", []int{1}, []bool{false}, []bool{false}},
		// two requests in flight: a, b refused; a again (stale nonce),
		// refused; b, then a, with the offered nonces
		{"v2-bad-nonce-interleaved", []int{1, 1, 2}, []bool{true, true, true}, []bool{false, true, true}},
	} {
		a := ledgerOf(t, recording(tc.name)).Accounts()[0]
		if len(a.BadNonces) != len(tc.streaks) {
			t.Errorf("%s: %d badNonce answers, want %d", tc.name, len(a.BadNonces), len(tc.streaks))
			continue
		}
		for i, b := range a.BadNonces {
			if b.Streak != tc.streaks[i] || b.Retried != tc.retried[i] || b.UsedOfferedNonce != tc.offered[i] {
				t.Errorf("%s: badNonce %d: streak %d retried %v offered %v, want %d %v %v",
					tc.name, i, b.Streak, b.Retried, b.UsedOfferedNonce, tc.streaks[i], tc.retried[i], tc.offered[i])
			}
		}
	}
}

// FastPolls counts polls in a tight loop, and neither the first poll after
// a trigger nor a poll after a Retry-After (however soon).
func TestFastPolls(t *testing.T) {
	fast := func(name string) (authz, orders []int) {
		for _, a := range ledgerOf(t, recording(name)).Accounts() {
			for _, z := range a.Authzs {
				authz = append(authz, len(z.FastPolls(time.Second)))
			}
			for _, o := range a.Orders {
				orders = append(orders, len(o.FastPolls(time.Second)))
			}
		}
		return authz, orders
	}
	// authorization: fetch, challenge fetch, 8 polls, 50 ms apart
	if z, o := fast("v2-poll-tight-loop"); len(z) != 1 || z[0] != 9 || len(o) != 1 || o[0] != 5 {
		t.Errorf("v2-poll-tight-loop: fast polls %v of the authorization, %v of the order; want [9] and [5]", z, o)
	}
	for _, name := range []string{"v2-happy", "v2-bad-nonce", "v2-retry-after", "v2-retry-after-ignored", "v1-happy"} {
		z, o := fast(name)
		for _, n := range append(z, o...) {
			if n != 0 {
				t.Errorf("%s: fast polls %v of authorizations, %v of orders; want none", name, z, o)
				break
			}
		}
	}
}

// HasIssueIn and IssueDetail take the codes as separate arguments, the
// way rule expressions call them.
func TestIssueHelpers(t *testing.T) {
	r, err := journal.Open(recording("v2-fault-jws"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var algs []string
	err = flow.Feed(flow.New(), decode.NewDecoder(), []flow.Source{{Name: "jws", Next: r.Next}}, func(x *flow.Exchange) error {
		if x.HasIssueIn("jws.alg_none", "jws.alg_mac") {
			algs = append(algs, x.IssueDetail("jws.alg_mac", "jws.alg_none"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`jws.alg_none: alg "none": an unsigned JWS`, `jws.alg_mac: alg "HS256" is a MAC; allowed only inside externalAccountBinding`}
	if !slices.Equal(algs, want) {
		t.Errorf("got %q, want %q", algs, want)
	}
}
