package flow

import (
	"slices"
	"time"

	"github.com/acmeproxy/acmeproxy/acme"
	"github.com/acmeproxy/acmeproxy/internal/idset"
)

// orderAt returns the order at url, creating it for account a.
func (l *Ledger) orderAt(url string, a *Account, t time.Time) *Order {
	o := l.orders[url]
	if o == nil {
		l.missed(idset.URL, url)
		o = &Order{URL: url, Account: a, FirstSeen: t}
		l.orders[url] = o
		if a != nil {
			a.Orders = append(a.Orders, o)
		}
	}
	l.touch(o.Account)
	return o
}

// certAt returns the certificate at url, creating it for account a.
func (l *Ledger) certAt(url string, a *Account) *Certificate {
	c := l.certs[url]
	if c == nil {
		l.missed(idset.URL, url)
		c = &Certificate{URL: url, Account: a}
		l.certs[url] = c
		if a != nil {
			a.Certificates = append(a.Certificates, c)
		}
	}
	l.touch(c.Account)
	return c
}

// newIssuance records a CSR submission and what can be said of it at once.
func (l *Ledger) newIssuance(x *Exchange) *Issuance {
	is := &Issuance{Ref: x.Ref, Account: x.Account, Dialect: x.Dialect}
	if r := x.Response; r != nil {
		is.Status, is.Problem = r.Status, r.Problem
	}
	if x.Payload != nil && x.Payload.CSR != nil {
		is.CSR = x.Payload.CSR
		is.Names = normalise(is.CSR.Identifiers)
		if k := is.CSR.Key; k != nil && x.Account != nil && x.Account.Key != nil {
			is.KeyIsAccountKey = k.Equal(x.Account.Key)
		}
	}
	if x.Account != nil {
		x.Account.Issuances = append(x.Account.Issuances, is)
	}
	x.Issuance = is
	return is
}

func (l *Ledger) onFinalize(x *Exchange) {
	o := l.finalizeURLs[x.URL]
	if o == nil {
		l.missed(idset.URL, x.URL)
		o = l.orderAt("finalize:"+x.URL, x.Account, x.Start)
		o.FinalizeURL = x.URL
		l.finalizeURLs[x.URL] = o
	}
	l.touch(o.Account)
	is := l.newIssuance(x)
	is.Order = o
	o.Issuances = append(o.Issuances, is)
	for _, z := range o.Authzs {
		if z.Status == acme.StatusInvalid {
			is.KnownInvalid = append(is.KnownInvalid, z.Name())
		}
	}
	if is.CSR != nil && len(o.Identifiers) > 0 {
		is.Missing = difference(o.Identifiers, is.Names)
		is.Extra = difference(is.Names, o.Identifiers)
	}
	r := x.Response
	o.add(EventFinalized, statusOf(r), x.Ref, nil)
	if r == nil {
		return
	}
	if r.Problem != nil {
		o.add(EventErrored, "", x.Ref, r.Problem)
	}
	if r.Order != nil {
		l.applyOrder(o, r.Order, x.Ref, false)
	}
	for _, z := range o.Authzs {
		z.UsedBy = append(z.UsedBy, is)
	}
}

// onCertIssue handles v1 new-cert: each CSR name needs an authorization of
// the same account shown valid and unexpired at this moment
// (acme-reference.md §7.2).
func (l *Ledger) onCertIssue(x *Exchange) {
	is := l.newIssuance(x)
	a := x.Account
	for _, name := range is.Names {
		z := validAuthzFor(a, name, x.Start)
		if z == nil {
			is.Uncovered = append(is.Uncovered, name)
			if invalidAuthzFor(a, name) {
				is.KnownInvalid = append(is.KnownInvalid, name)
			}
			continue
		}
		z.UsedBy = append(z.UsedBy, is)
	}
	r := x.Response
	if r == nil || !r.OK() || len(r.Certificates) == 0 {
		return
	}
	u := r.Location
	if u == "" {
		u = "serial:" + r.Certificates[0].Serial
	}
	c := l.certAt(u, a)
	c.Leaf, c.Downloaded, c.ChainLength = r.Certificates[0], true, len(r.Certificates)
	l.fileIssuer(c, r.Link("up"))
	c.add(EventIssued, "", x.Ref, nil)
	is.Certificate = c
}

func validAuthzFor(a *Account, name string, at time.Time) *Authz {
	if a == nil {
		return nil
	}
	for _, z := range a.Authzs {
		if z.Status == acme.StatusValid && z.Identifier.Value == name && !z.Wildcard &&
			(z.Expires.IsZero() || z.Expires.After(at)) {
			return z
		}
	}
	return nil
}

func invalidAuthzFor(a *Account, name string) bool {
	if a == nil {
		return false
	}
	for _, z := range a.Authzs {
		if z.Status == acme.StatusInvalid && z.Identifier.Value == name {
			return true
		}
	}
	return false
}

func (l *Ledger) onCertDownload(x *Exchange) {
	r := x.Response
	c := l.certs[x.URL]
	if c == nil {
		c = l.certAt(x.URL, x.Account)
	}
	l.touch(c.Account)
	c.add(EventDownloaded, "", x.Ref, nil)
	if r == nil || !r.OK() || len(r.Certificates) == 0 {
		return
	}
	c.Downloaded = true
	c.Leaf, c.ChainLength = r.Certificates[0], len(r.Certificates)
	if up := r.Link("up"); up != "" {
		l.fileIssuer(c, up)
	}
}

func (l *Ledger) onIssuerDownload(x *Exchange) {
	if !x.Response.OK() {
		return
	}
	for _, c := range l.byIssuer[x.URL] {
		if !c.IssuerFetched {
			c.IssuerFetched = true
			l.touch(c.Account) // it may be evicted now (Idle)
		}
	}
}

// onSelfCheck matches a client's fetch of its own http-01 resource to the
// challenge with that token.
func (l *Ledger) onSelfCheck(x *Exchange) {
	if x.SelfCheck == nil {
		return
	}
	c := l.tokens[x.SelfCheck.Token]
	if c == nil {
		l.missed(idset.Token, x.SelfCheck.Token)
	}
	if c == nil || c.Authz == nil {
		return
	}
	z := c.Authz
	l.touch(z.Account)
	sc := SelfCheck{Ref: x.Ref, Error: x.Error}
	if r := x.Response; r != nil {
		sc.Status = r.Status
		want := ""
		if z.Account != nil && z.Account.Key != nil {
			want = z.Account.Key.KeyAuthorization(x.SelfCheck.Token)
		}
		sc.Matched = x.SelfCheck.KeyAuthorization != "" && (want == "" || x.SelfCheck.KeyAuthorization == want)
	}
	z.SelfChecks = append(z.SelfChecks, sc)
	z.add(EventSelfChecked, z.Status, x.Ref, nil)
}

// difference returns the members of a not in b; both are sorted.
func difference(a, b []string) []string {
	var out []string
	for _, s := range a {
		if _, found := slices.BinarySearch(b, s); !found {
			out = append(out, s)
		}
	}
	return out
}
