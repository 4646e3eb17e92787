package flow

import (
	"math"
	"sort"
	"time"

	"github.com/acmeproxy/acmeproxy/acme"
	"github.com/acmeproxy/acmeproxy/decode"
)

// Account is one ACME account, identified by its key's RFC 7638 thumbprint
// (acme-reference.md §10.1). A key change keeps the Account and records
// the new key.
type Account struct {
	// Thumbprint is the account key's thumbprint when first seen.
	Thumbprint string `json:"thumbprint"`
	// Key is the account key.
	Key *decode.Key `json:"key,omitempty"`
	// URL is the account URL: v2 "kid" (the newAccount Location), v1
	// registration URL (new-reg Location, also on 409).
	URL string `json:"url,omitempty"`
	// Dialect is the ACME version the account speaks.
	Dialect decode.Dialect `json:"dialect"`
	// Status is the last status a response showed.
	Status acme.Status `json:"status,omitempty"`
	// TermsAgreed is set once a request agreed to the terms of service (v1
	// "agreement", v2 "termsOfServiceAgreed").
	TermsAgreed bool `json:"terms_agreed"`
	// Registered is set when the traffic shows the account being created or
	// found (new-reg 201 or 409, newAccount 200 or 201).
	Registered bool `json:"registered"`
	// FirstSeen and LastSeen bound the account's traffic.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`

	// Authzs, Orders, Issuances and Certificates are the account's objects
	// in the order they were first seen.
	Authzs       []*Authz       `json:"-"`
	Orders       []*Order       `json:"-"`
	Issuances    []*Issuance    `json:"-"`
	Certificates []*Certificate `json:"-"`

	// Requests counts signed requests (POSTs) by this account; NonceFetches
	// counts newNonce requests on the same connections' client.
	Requests     int `json:"requests"`
	NonceFetches int `json:"nonce_fetches"`
	// Errors counts the account's requests answered with a problem.
	Errors int `json:"errors"`
	// BadNonces lists the requests refused with badNonce and, on each,
	// whether the account sent the same request again.
	BadNonces []NonceRetry `json:"bad_nonces,omitempty"`
	// RateLimits lists the 429 answers the account received.
	RateLimits []RateLimit `json:"rate_limits,omitempty"`
	// KeyChanges lists key rollovers.
	KeyChanges []Ref `json:"key_changes,omitempty"`

	sessions map[string]bool // recordings the account appears in
	// openNonces maps a URL to the index in BadNonces of the last
	// badNonce answer from it, while no other answer from it has ended
	// the streak. A client with requests in flight at once (lego) retries
	// each refused one after others: the retry is matched by URL.
	openNonces map[string]int

	// For eviction (evict.go): every key thumbprint the ledger maps to
	// it, the urlLast entries that are about it, and its place in the
	// ledger's least-recently-touched list.
	thumbprints []string
	ordersURL   string // the orders list URL its account object named
	urlKeys     []urlKey
	lastTouch   uint64
	prev, next  *Account
	listed      bool
	evicted     bool

	history
}

// NonceRetry is a badNonce answer and what the client did next.
type NonceRetry struct {
	Ref Ref `json:"ref"`
	// Retried is set when a later request of the account repeated the
	// refused one: the next to the same URL, whatever went to other URLs
	// in between.
	Retried bool `json:"retried"`
	// UsedOfferedNonce is set when that retry used the Replay-Nonce of the
	// badNonce answer, as RFC 8555 §6.5 intends.
	UsedOfferedNonce bool `json:"used_offered_nonce"`
	// Streak is the number of consecutive badNonce answers to requests of
	// the account to this URL that this one ends: an answer other than
	// badNonce from the URL starts a new streak; requests to other URLs
	// in between do not.
	Streak int `json:"streak"`
	// offered is the Replay-Nonce of the badNonce answer.
	offered string
	url     string
}

// RateLimit is a 429 answer.
type RateLimit struct {
	Ref        Ref           `json:"ref"`
	Detail     string        `json:"detail"`
	RetryAfter time.Duration `json:"retry_after,omitempty"`
	// NextAttempt is when the account next sent the same request, zero if
	// it never did.
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	url         string
}

// SubjectKey returns the account's stable identity: its thumbprint.
func (a *Account) SubjectKey() string { return a.Thumbprint }

// Short returns the thumbprint's first 8 characters.
func (a *Account) Short() string {
	if len(a.Thumbprint) < 8 {
		return a.Thumbprint
	}
	return a.Thumbprint[:8]
}

// Pending returns the account's authorizations whose last known status is
// pending.
func (a *Account) Pending() []*Authz {
	var out []*Authz
	for _, z := range a.Authzs {
		if z.Status == acme.StatusPending {
			out = append(out, z)
		}
	}
	return out
}

// Orphans returns the account's orphaned authorizations (Authz.Orphaned).
func (a *Account) Orphans() []*Authz {
	var out []*Authz
	for _, z := range a.Authzs {
		if z.Orphaned {
			out = append(out, z)
		}
	}
	return out
}

// PendingPeak is the largest number of the account's authorizations that
// were pending at once during the recordings: created or first shown
// pending, and not yet validated, invalidated, deactivated or expired.
func (a *Account) PendingPeak() int {
	n, _ := a.pendingPeak()
	return n
}

// PendingPeakAt is when PendingPeak was reached.
func (a *Account) PendingPeakAt() time.Time {
	_, t := a.pendingPeak()
	return t
}

func (a *Account) pendingPeak() (int, time.Time) {
	type edge struct {
		t time.Time
		d int
	}
	var edges []edge
	for _, z := range a.Authzs {
		if !z.SeenPending {
			continue
		}
		edges = append(edges, edge{z.FirstSeen, +1})
		if end := z.settledAt(); !end.IsZero() {
			edges = append(edges, edge{end, -1})
		}
	}
	sort.SliceStable(edges, func(i, j int) bool {
		if edges[i].t.Equal(edges[j].t) {
			return edges[i].d < edges[j].d
		}
		return edges[i].t.Before(edges[j].t)
	})
	peak, cur := 0, 0
	var at time.Time
	for _, e := range edges {
		cur += e.d
		if cur > peak {
			peak, at = cur, e.t
		}
	}
	return peak, at
}

// Runs is the number of recordings the account appears in: for a client
// run by cron or CI, its number of runs.
func (a *Account) Runs() int { return len(a.sessions) }

// OrphansPerRun is the number of orphaned authorizations the account
// leaves per run, on average over the recordings.
func (a *Account) OrphansPerRun() float64 {
	if len(a.sessions) == 0 {
		return 0
	}
	return float64(len(a.Orphans())) / float64(len(a.sessions))
}

// RunsToCap forecasts how many more runs like the recorded ones the
// account can make before it holds limit pending authorizations, if the
// runs come faster than pending authorizations expire (lifetime). It is -1
// when the account leaves no orphans.
func (a *Account) RunsToCap(limit int) int {
	per := a.OrphansPerRun()
	if per <= 0 {
		return -1
	}
	left := float64(limit - len(a.Orphans()))
	if left <= 0 {
		return 0
	}
	return int(math.Ceil(left / per))
}

// SafeRunInterval is the shortest interval between runs at which orphans
// expire (after lifetime) before limit of them pile up; zero when the
// account leaves no orphans.
func (a *Account) SafeRunInterval(limit int, lifetime time.Duration) time.Duration {
	per := a.OrphansPerRun()
	if per <= 0 || limit <= 0 {
		return 0
	}
	return time.Duration(float64(lifetime) * per / float64(limit))
}
