package flow

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/acmeproxy/acmeproxy/acme"
	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/internal/idset"
)

// Ledger folds decoded exchanges, in time order, into accounts and their
// objects. It is not safe for concurrent use.
type Ledger struct {
	accounts     map[string]*Account // by key thumbprint (every key it had)
	accountByURL map[string]*Account
	authzs       map[string]*Authz
	challenges   map[string]*Challenge
	tokens       map[string]*Challenge
	orders       map[string]*Order
	finalizeURLs map[string]*Order
	certs        map[string]*Certificate
	sessions     map[string]*Session

	accountList []*Account
	sessionList []*Session
	nonces      idset.Set // hashes of every JWS nonce sent
	last        map[*Account]*lastRequest
	urlLast     map[urlKey]*lastRequest
	byIssuer    map[string][]*Certificate // certificates by IssuerURL

	eviction
}

// lastRequest is what the ledger keeps of a request to judge the next one.
type lastRequest struct {
	method, url string
	at          time.Time
	retryAfter  time.Duration
	problem     *acme.Problem
	nonce       string // Replay-Nonce of the answer
}

type urlKey struct {
	who    any // *Account, or the session for unauthenticated requests
	method string
	url    string
}

// New returns an empty ledger.
func New() *Ledger {
	return &Ledger{
		accounts:     map[string]*Account{},
		accountByURL: map[string]*Account{},
		authzs:       map[string]*Authz{},
		challenges:   map[string]*Challenge{},
		tokens:       map[string]*Challenge{},
		orders:       map[string]*Order{},
		finalizeURLs: map[string]*Order{},
		certs:        map[string]*Certificate{},
		sessions:     map[string]*Session{},
		last:         map[*Account]*lastRequest{},
		urlLast:      map[urlKey]*lastRequest{},
		byIssuer:     map[string][]*Certificate{},
	}
}

// Accounts returns every account in the order it was first seen, except
// those evicted (see Evict).
func (l *Ledger) Accounts() []*Account {
	l.compact()
	return l.accountList
}

// Sessions returns every recording in the order it was first seen.
func (l *Ledger) Sessions() []*Session { return l.sessionList }

// Authz returns the authorization at url, or nil.
func (l *Ledger) Authz(url string) *Authz { return l.authzs[url] }

// Order returns the order at url, or nil.
func (l *Ledger) Order(url string) *Order { return l.orders[url] }

// Observe folds m, read from the recording called source, into the ledger
// and returns it as an exchange subject. Messages must come in time order.
func (l *Ledger) Observe(source string, m *decode.Message) *Exchange {
	l.clock++
	l.touched = l.touched[:0]
	ref := refOf(source, m)
	s := l.session(source, m)
	a := l.account(m, ref)
	x := &Exchange{Message: m, Ref: ref, Account: a, Session: s}
	l.context(x)
	if a != nil {
		followUp(a, x)
	}
	l.dispatch(x)
	if a != nil {
		if p := x.Problem(); p != nil {
			a.Errors++
			l.noteProblem(x, p)
		}
	}
	l.ownSessionKey(x)
	return x
}

func (l *Ledger) session(source string, m *decode.Message) *Session {
	s := l.sessions[source]
	if s == nil {
		s = &Session{Source: source, Start: m.Start, Dialects: map[decode.Dialect]int{}, refs: []Ref{refOf(source, m)}}
		l.sessions[source] = s
		l.sessionList = append(l.sessionList, s)
	}
	s.Exchanges++
	s.Dialects[m.Dialect]++
	if m.End.After(s.End) {
		s.End = m.End
	}
	if m.Start.Before(s.Start) {
		s.Start = m.Start
	}
	switch {
	case m.Error != "":
		s.UpstreamErrors++
	case m.Operation == decode.OpNonce:
		s.NonceFetches++
	case m.Operation == decode.OpDirectory:
		s.DirectoryFetches++
		if s.CA == "" {
			s.CA = identifyCA(m)
		}
		if s.Upstream == "" {
			s.Upstream = m.URL
		}
	}
	if m.Method == http.MethodPost {
		s.Posts++
	}
	return s
}

// account finds or creates the account that signed m, and learns its URL
// from the answer when the answer names it.
func (l *Ledger) account(m *decode.Message, ref Ref) *Account {
	var a *Account
	if m.Account != nil && m.Account.Thumbprint != "" {
		if a = l.accounts[m.Account.Thumbprint]; a == nil {
			l.missed(idset.Key, m.Account.Thumbprint)
		}
	}
	if a == nil && m.AccountURL != "" {
		if a = l.accountByURL[m.AccountURL]; a == nil {
			l.missed(idset.URL, m.AccountURL)
		}
	}
	if a == nil && m.Account == nil {
		return nil
	}
	if a == nil {
		if m.Operation == decode.OpRevoke && m.AccountURL == "" {
			return nil // signed by the certificate's key, not an account
		}
		a = &Account{Thumbprint: m.Account.Thumbprint, Key: m.Account, Dialect: m.Dialect, FirstSeen: m.Start}
		l.mapKey(a.Thumbprint, a)
		l.accountList = append(l.accountList, a)
		if s := l.sessions[ref.Source]; s != nil {
			s.Accounts++
		}
	}
	if m.AccountURL != "" && a.URL == "" {
		a.URL = m.AccountURL
		l.accountByURL[a.URL] = a
	}
	if a.Dialect == decode.DialectUnknown || a.Dialect == "" {
		a.Dialect = m.Dialect
	}
	a.LastSeen = m.Start
	l.touch(a)
	if a.sessions == nil {
		a.sessions = map[string]bool{}
	}
	a.sessions[ref.Source] = true
	if m.Method == http.MethodPost {
		a.Requests++
	}
	return a
}

// context sets the facts about x that depend on what came before it.
func (l *Ledger) context(x *Exchange) {
	m := x.Message
	var who any = x.Session
	if x.Account != nil {
		who = x.Account
	}
	k := urlKey{who: who, method: m.Method, url: m.URL}
	if prev := l.urlLast[k]; prev != nil {
		x.Gap = m.Start.Sub(prev.at)
		x.AskedWait = prev.retryAfter
	}
	if x.Account != nil {
		if prev := l.last[x.Account]; prev != nil {
			x.Repeat = prev.method == m.Method && prev.url == m.URL
			if prev.problem != nil && prev.problem.Type.Name() != acme.ErrBadNonce {
				x.AfterProblem = prev.problem
			}
		}
	}
	if m.JWS != nil && m.JWS.Protected.Nonce != "" {
		// A 64-bit hash stands for the nonce: a million nonces take 8 MB
		// rather than 60, and a false "reused" needs a collision (odds of
		// about 3·10^-8 among a million nonces).
		n := idset.Hash(idset.Nonce, m.JWS.Protected.Nonce)
		if x.ReusedNonce = l.nonces.Has(n); !x.ReusedNonce {
			l.nonces.Add(n)
		}
	}
	cur := &lastRequest{method: m.Method, url: m.URL, at: m.Start}
	if r := m.Response; r != nil {
		if r.RetryAfter != nil {
			cur.retryAfter = r.RetryAfter.Delay()
		}
		if !(m.Operation == decode.OpAccountCreate && r.Status == http.StatusConflict) {
			cur.problem = r.Problem // a v1 new-reg 409 only says the key is known
		}
		cur.nonce = r.ReplayNonce
	}
	_, seen := l.urlLast[k]
	l.newURLKey = !seen
	if !seen && x.Account != nil {
		x.Account.urlKeys = append(x.Account.urlKeys, k)
	}
	l.urlLast[k] = cur
	if x.Account != nil {
		l.last[x.Account] = cur
	}
}

func (l *Ledger) dispatch(x *Exchange) {
	m := x.Message
	switch m.Operation {
	case decode.OpAccountCreate, decode.OpAccountLookup, decode.OpAccountFetch,
		decode.OpAccountUpdate, decode.OpAccountDeactivate:
		l.onAccount(x)
	case decode.OpKeyChange:
		l.onKeyChange(x)
	case decode.OpOrderCreate:
		l.onOrderCreate(x)
	case decode.OpOrderPoll:
		l.onOrderPoll(x)
	case decode.OpOrderFinalize:
		l.onFinalize(x)
	case decode.OpAuthzCreate:
		l.onAuthzCreate(x)
	case decode.OpAuthzFetch, decode.OpAuthzDeactivate:
		l.onAuthz(x)
	case decode.OpChallengeTrigger, decode.OpChallengePoll:
		l.onChallenge(x)
	case decode.OpCertIssue:
		l.onCertIssue(x)
	case decode.OpCertDownload:
		l.onCertDownload(x)
	case decode.OpIssuerDownload:
		l.onIssuerDownload(x)
	case decode.OpSelfCheck:
		l.onSelfCheck(x)
	}
}

// Finish closes the ledger at end (normally the last exchange's end): it
// judges which pending authorizations were orphaned or expired unused.
// Call it once, after the last Observe. Accounts already closed by Close
// and evicted are not judged again.
func (l *Ledger) Finish(end time.Time) {
	for _, a := range l.Accounts() {
		l.Close(a, end)
	}
}

// Close judges a's objects as Finish does, as of end: which pending
// authorizations were orphaned or expired unused, and the identifiers of
// its orders' authorizations that no response named. Call it once per
// account, with the end Finish will be given, before evicting a.
func (l *Ledger) Close(a *Account, end time.Time) {
	for _, z := range a.Authzs {
		z.End = end
		judgeAuthz(z, end)
	}
	for _, o := range a.Orders {
		o.End = end
		inferIdentifiers(o)
	}
}

// inferIdentifiers names the order's authorizations that no response
// named: when exactly one name and one authorization are left over they
// match; otherwise each gets the left-over names as candidates.
func inferIdentifiers(o *Order) {
	left, unknown := unnamed(o)
	for _, z := range unknown {
		nameFrom(z, left, len(unknown))
	}
}

// unnamed returns the identifiers of o that none of its authorizations is
// known to be for, and its authorizations no response named.
func unnamed(o *Order) (left []string, unknown []*Authz) {
	left = slices.Clone(o.Identifiers)
	for _, z := range o.Authzs {
		if z.Identifier.Value == "" {
			unknown = append(unknown, z)
			continue
		}
		if i := slices.Index(left, z.Identifier.Value); i >= 0 {
			left = slices.Delete(left, i, i+1)
		}
	}
	return left, unknown
}

// nameFrom names z, one of unknowns unnamed authorizations of an order
// whose unclaimed identifiers are left: the one left when it is the only
// one unnamed, else the candidates.
func nameFrom(z *Authz, left []string, unknowns int) {
	if unknowns == 1 && len(left) == 1 {
		z.Identifier = acme.Identifier{Type: acme.IdentifierDNS, Value: left[0]}
		z.IdentifierInferred = true
		return
	}
	z.Candidates = slices.Clone(left)
}

func judgeAuthz(z *Authz, end time.Time) {
	if !z.Untouched() {
		return
	}
	if !z.Expires.IsZero() && !z.Expires.After(end) {
		z.ExpiredUnused = true
		z.add(EventExpired, acme.StatusExpired, Ref{Source: z.lastRef().Source, Time: z.Expires}, nil)
		return
	}
	z.SeenPending = true
	z.Orphaned = true
}

// Untouched reports whether z is, so far, an authorization left pending:
// seen pending (or listed in a pending order and never fetched), and
// never triggered, deactivated or shown in a final status. Close judges
// such an authorization orphaned, or expired unused once past its expiry
// (acme-reference.md §10.4).
func (z *Authz) Untouched() bool {
	if !z.SeenPending && !(z.Status == "" && z.listedPending()) {
		return false
	}
	return !z.Triggered() && !z.Deactivated() && !z.Status.Final()
}

// JudgedAt returns a copy of z as Close would leave it if the recordings
// ended at end, leaving z as it is: End set, Orphaned or ExpiredUnused
// when it is Untouched, and an authorization no response named named
// from its orders (or given candidates). It is for judging before the end,
// as a live view does; the copy shares z's orders and earlier events, and
// is read-only.
func (z *Authz) JudgedAt(end time.Time) *Authz {
	c := *z
	c.Events = slices.Clip(c.Events) // an expiry event must not land in z's spare capacity
	c.End = end
	judgeAuthz(&c, end)
	if z.Identifier.Value == "" {
		for _, o := range z.Orders {
			if left, unknown := unnamed(o); slices.Contains(unknown, z) {
				nameFrom(&c, left, len(unknown))
			}
		}
	}
	return &c
}

// listedPending reports whether an order listed it while the order was
// pending and nothing ever showed its own status.
func (z *Authz) listedPending() bool {
	for _, o := range z.Orders {
		if o.Status == acme.StatusPending || o.Status == "" {
			return true
		}
	}
	return false
}

func (z *Authz) lastRef() Ref {
	if n := len(z.Events); n > 0 {
		return z.Events[n-1].Ref
	}
	return Ref{}
}

// noteProblem records a refused request on the account: badNonce streaks
// and rate limits.
func (l *Ledger) noteProblem(x *Exchange, p *acme.Problem) {
	a := x.Account
	switch p.Type.Name() {
	case acme.ErrBadNonce:
		streak := 1
		if i, ok := a.openNonces[x.URL]; ok {
			streak = a.BadNonces[i].Streak + 1 // followUp kept it open: this retry was refused too
		}
		if a.openNonces == nil {
			a.openNonces = map[string]int{}
		}
		a.openNonces[x.URL] = len(a.BadNonces)
		a.BadNonces = append(a.BadNonces, NonceRetry{Ref: x.Ref, Streak: streak, offered: x.Response.ReplayNonce, url: x.URL})
	case acme.ErrRateLimited:
		rl := RateLimit{Ref: x.Ref, Detail: p.Detail, url: x.URL}
		if ra := x.Response.RetryAfter; ra != nil {
			rl.RetryAfter = ra.Delay()
		}
		a.RateLimits = append(a.RateLimits, rl)
	}
}

// followUp records what the next request to the same URL was: on the
// account's last badNonce answer from that URL, and on its last 429. It
// runs for every request of an account, before noteProblem.
//
// A badNonce retry is matched by URL, not by being the account's next
// request: a client with several requests in flight (lego's nonce pool)
// sends others before it retries the refused one (RFC 8555 §6.5).
func followUp(a *Account, x *Exchange) {
	if i, ok := a.openNonces[x.URL]; ok && a.BadNonces[i].Ref != x.Ref {
		b := &a.BadNonces[i]
		if !b.Retried {
			b.Retried = true
			b.UsedOfferedNonce = x.JWS != nil && b.offered != "" && x.JWS.Protected.Nonce == b.offered
		}
		if p := x.Problem(); p == nil || p.Type.Name() != acme.ErrBadNonce {
			delete(a.openNonces, x.URL) // the streak ends
		}
	}
	if n := len(a.RateLimits); n > 0 {
		r := &a.RateLimits[n-1]
		if r.NextAttempt.IsZero() && r.Ref != x.Ref && r.url == x.URL {
			r.NextAttempt = x.Ref.Time
		}
	}
}

// identifyCA names the CA behind a directory exchange, when it can.
func identifyCA(m *decode.Message) string {
	u := strings.ToLower(m.URL)
	switch {
	case strings.Contains(u, ".letsencrypt.org"):
		return "letsencrypt"
	case strings.HasSuffix(u, "/dir"):
		return "pebble"
	}
	if r := m.Response; r != nil && r.Directory != nil {
		if w := r.Directory.Meta.Website; strings.Contains(w, "letsencrypt.org") {
			return "letsencrypt"
		} else if strings.Contains(w, "acmeproxy") {
			return "acmeproxy-v1-test"
		}
	}
	return ""
}

func normalise(ids []acme.Identifier) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, strings.TrimSuffix(strings.ToLower(id.Value), "."))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
