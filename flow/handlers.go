package flow

import (
	"net/url"
	"time"

	"github.com/acmeproxy/acmeproxy/acme"
	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/internal/idset"
)

func (l *Ledger) onAccount(x *Exchange) {
	a, r := x.Account, x.Response
	if a == nil {
		return
	}
	if p := x.Payload; p != nil && p.Account != nil {
		if p.Account.Agreement != "" || (p.Account.TermsOfServiceAgreed != nil && *p.Account.TermsOfServiceAgreed) {
			a.TermsAgreed = true
		}
	}
	if r == nil {
		return
	}
	created := x.Operation == decode.OpAccountCreate
	switch {
	case r.Status == 201 && created:
		a.Registered = true
		a.add(EventCreated, statusOf(r), x.Ref, nil)
	case (r.Status == 200 && (created || x.Operation == decode.OpAccountLookup)) || (r.Status == 409 && x.Dialect == decode.DialectV1):
		a.Registered = true // the key was known already
		a.add(EventHandedBack, statusOf(r), x.Ref, nil)
	case r.Problem != nil:
		a.add(EventErrored, "", x.Ref, r.Problem)
	default:
		a.add(EventPolled, statusOf(r), x.Ref, nil)
	}
	if r.Location != "" && (created || x.Operation == decode.OpAccountLookup) && a.URL == "" {
		a.URL = r.Location
		l.accountByURL[a.URL] = a
	}
	if r.Account != nil {
		if r.Account.Status != "" {
			a.Status = r.Account.Status
		}
		if r.Account.Agreement != "" || (r.Account.TermsOfServiceAgreed != nil && *r.Account.TermsOfServiceAgreed) {
			a.TermsAgreed = true
		}
		if r.Account.Orders != "" && a.ordersURL == "" {
			a.ordersURL = resolveRef(x.URL, r.Account.Orders)
		}
	}
	if x.Operation == decode.OpAccountDeactivate && r.OK() {
		a.add(EventDeactivated, acme.StatusDeactivated, x.Ref, nil)
	}
}

func (l *Ledger) onKeyChange(x *Exchange) {
	a := x.Account
	if a == nil {
		return
	}
	a.KeyChanges = append(a.KeyChanges, x.Ref)
	if x.Response.OK() && x.Payload != nil && x.Payload.KeyChange != nil {
		if k := x.Payload.KeyChange.NewKey; k != nil && k.Thumbprint != "" {
			a.Key = k
			l.mapKey(k.Thumbprint, a)
		}
	}
}

func (l *Ledger) onOrderCreate(x *Exchange) {
	a, r := x.Account, x.Response
	if a == nil || r == nil {
		return
	}
	if r.Problem != nil || r.Order == nil || r.Location == "" {
		a.add(EventErrored, "", x.Ref, r.Problem)
		return
	}
	o := l.orders[r.Location]
	if o == nil {
		l.missed(idset.URL, r.Location)
		o = &Order{URL: r.Location, Account: a, FirstSeen: x.Start}
		l.orders[o.URL] = o
		a.Orders = append(a.Orders, o)
		o.add(EventCreated, r.Order.Status, x.Ref, nil)
	} else {
		l.touch(o.Account)
		o.HandedBack++
		o.add(EventHandedBack, r.Order.Status, x.Ref, nil)
	}
	l.applyOrder(o, r.Order, x.Ref, true)
}

func (l *Ledger) onOrderPoll(x *Exchange) {
	o := l.orderAt(x.URL, x.Account, x.Start)
	if o == nil || x.Response == nil {
		return
	}
	o.addPoll(statusOf(x.Response), x.Ref, x.Response.Problem, x.Response)
	if x.Response.Order != nil {
		l.applyOrder(o, x.Response.Order, x.Ref, false)
	}
}

// applyOrder learns from an order body. fromCreate marks a newOrder
// answer, whose listed authorizations were created or handed back by it.
func (l *Ledger) applyOrder(o *Order, body *acme.Order, ref Ref, fromCreate bool) {
	if len(body.Identifiers) > 0 {
		o.Identifiers = normalise(body.Identifiers)
	}
	if body.Profile != "" {
		o.Profile = body.Profile
	}
	if !body.Expires.IsZero() {
		o.Expires = body.Expires.Time
	}
	if body.Finalize != "" && o.FinalizeURL == "" {
		o.FinalizeURL = body.Finalize
		l.finalizeURLs[body.Finalize] = o
	}
	if body.Certificate != "" && o.CertificateURL == "" {
		o.CertificateURL = body.Certificate
		c := l.certAt(body.Certificate, o.Account)
		o.Certificate = c
		c.add(EventIssued, "", ref, nil)
	}
	for _, u := range body.Authorizations {
		z := l.authzs[u]
		l.touch(z.owner())
		switch {
		case z == nil:
			z = l.authzAt(u, o.Account, ref.Time)
			z.add(EventListed, "", ref, nil)
		case fromCreate && !z.orderListed(o):
			z.HandedBack++
			if z.Status == acme.StatusPending && !z.Triggered() {
				z.HandedBackPending++
			}
			z.add(EventHandedBack, z.Status, ref, nil)
		}
		if !z.orderListed(o) {
			z.Orders = append(z.Orders, o)
			o.Authzs = append(o.Authzs, z)
		}
		if body.Status == acme.StatusReady || body.Status == acme.StatusValid || body.Status == acme.StatusProcessing {
			z.setStatus(acme.StatusValid, ref, nil) // RFC 8555 §7.1.6: every authorization is valid
		}
	}
	o.setStatus(body.Status, ref, body.Error)
}

func (z *Authz) orderListed(o *Order) bool {
	for _, p := range z.Orders {
		if p == o {
			return true
		}
	}
	return false
}

func (l *Ledger) onAuthzCreate(x *Exchange) {
	a, r := x.Account, x.Response
	if a == nil || r == nil {
		return
	}
	if r.Problem != nil || r.Location == "" {
		a.add(EventErrored, "", x.Ref, r.Problem)
		return
	}
	z, existed := l.authzs[r.Location], l.authzs[r.Location] != nil
	l.touch(z.owner())
	if !existed {
		z = l.authzAt(r.Location, a, x.Start)
		z.add(EventCreated, statusOf(r), x.Ref, nil)
	} else {
		z.HandedBack++
		if z.Status == acme.StatusPending && !z.Triggered() {
			z.HandedBackPending++
		}
		z.add(EventHandedBack, statusOf(r), x.Ref, nil)
	}
	if r.Authorization != nil {
		l.applyAuthz(z, r.Authorization, x.Ref)
	}
}

func (l *Ledger) onAuthz(x *Exchange) {
	z := l.authzAt(x.URL, x.Account, x.Start)
	r := x.Response
	switch {
	case x.Operation == decode.OpAuthzDeactivate && r.OK():
		z.add(EventDeactivated, acme.StatusDeactivated, x.Ref, nil)
	case r != nil && r.Problem != nil:
		z.add(EventErrored, "", x.Ref, r.Problem)
		if r.Status == 404 {
			z.add(EventExpired, acme.StatusExpired, x.Ref, r.Problem) // Boulder answers 404 for expired authorizations
		}
	default:
		z.Polls++
		z.addPoll(statusOf(r), x.Ref, nil, r)
	}
	if r != nil && r.Authorization != nil {
		l.applyAuthz(z, r.Authorization, x.Ref)
	}
}

// applyAuthz learns from an authorization body.
func (l *Ledger) applyAuthz(z *Authz, body *acme.Authorization, ref Ref) {
	if body.Identifier.Value != "" {
		z.Identifier = body.Identifier
		z.Identifier.Value = normalise([]acme.Identifier{body.Identifier})[0]
	}
	z.Wildcard = z.Wildcard || body.Wildcard
	if !body.Expires.IsZero() {
		z.Expires = body.Expires.Time
	}
	var problem *acme.Problem
	for i := range body.Challenges {
		c := l.applyChallenge(z, &body.Challenges[i], ref)
		if c.Problem != nil {
			problem = c.Problem
		}
	}
	z.setStatus(body.Status, ref, problem)
}

func (l *Ledger) applyChallenge(z *Authz, body *acme.Challenge, ref Ref) *Challenge {
	u := body.Location()
	c := l.challenges[u]
	if c == nil {
		l.missed(idset.URL, u)
		c = &Challenge{URL: u, Authz: z}
		if u != "" {
			l.challenges[u] = c
		}
		z.Challenges = append(z.Challenges, c)
	}
	if c.Authz == nil {
		c.Authz = z
		z.Challenges = append(z.Challenges, c)
	}
	c.Type = body.Type
	if body.Token != "" {
		c.Token = body.Token
		l.tokens[body.Token] = c
	}
	if body.Status != "" && body.Status != c.Status {
		c.Status = body.Status
		switch body.Status {
		case acme.StatusValid:
			c.add(EventValidated, body.Status, ref, nil)
		case acme.StatusInvalid:
			c.add(EventInvalidated, body.Status, ref, body.Error)
		}
	}
	if body.Error != nil {
		c.Problem = body.Error
	}
	return c
}

func (l *Ledger) onChallenge(x *Exchange) {
	r := x.Response
	c := l.challenges[x.URL]
	if c == nil {
		l.missed(idset.URL, x.URL)
		up := r.Link("up")
		if up == "" {
			return // a challenge the recording never introduced
		}
		z := l.authzAt(up, x.Account, x.Start)
		c = &Challenge{URL: x.URL, Authz: z}
		l.challenges[x.URL] = c
		z.Challenges = append(z.Challenges, c)
	}
	z := c.Authz
	l.touch(z.owner())
	switch {
	case x.Operation == decode.OpChallengeTrigger && r.OK():
		c.add(EventTriggered, statusOf(r), x.Ref, nil)
		z.add(EventTriggered, statusOf(r), x.Ref, nil)
	case x.Operation == decode.OpChallengeTrigger:
		// Refused (or unanswered): validation did not start, so the
		// authorization is as untouched as before; the problem is
		// recorded below.
	default:
		z.Polls++
		c.addPoll(statusOf(r), x.Ref, nil, r)
		z.addPoll(statusOf(r), x.Ref, nil, r)
	}
	if r == nil {
		return
	}
	if r.Problem != nil {
		z.add(EventErrored, "", x.Ref, r.Problem)
	}
	if r.Challenge != nil {
		l.applyChallenge(z, r.Challenge, x.Ref)
		switch r.Challenge.Status { // the challenge's outcome is the authorization's
		case acme.StatusValid:
			z.setStatus(acme.StatusValid, x.Ref, nil)
		case acme.StatusInvalid:
			z.setStatus(acme.StatusInvalid, x.Ref, r.Challenge.Error)
		case acme.StatusPending, acme.StatusProcessing:
			if z.Status == "" {
				z.setStatus(acme.StatusPending, x.Ref, nil)
			}
		}
	}
}

// authzAt returns the authorization at url, creating it for account a
// first seen at t.
func (l *Ledger) authzAt(url string, a *Account, t time.Time) *Authz {
	z := l.authzs[url]
	if z == nil {
		l.missed(idset.URL, url)
		z = &Authz{URL: url, FirstSeen: t}
		l.authzs[url] = z
	}
	if z.Account == nil && a != nil {
		z.Account = a
		a.Authzs = append(a.Authzs, z)
	}
	l.touch(z.Account)
	return z
}

// owner returns the authorization's account; nil for a nil Authz.
func (z *Authz) owner() *Account {
	if z == nil {
		return nil
	}
	return z.Account
}

func statusOf(r *decode.Response) acme.Status { return r.ResourceStatus() }

// resolveRef resolves ref against the URL base as the decoder does when it
// learns a URL from a body, so that the ledger names the same string.
func resolveRef(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return b.ResolveReference(u).String()
}
