package decode

import (
	"net/url"
	"strings"

	"github.com/acmeproxy/acmeproxy/internal/idset"
)

// AddDirectory teaches d a directory: its URL, every resource URL it
// names, its terms-of-service URL, and the dialect of its server. Directory
// knowledge overrides URLs learned from responses.
func (d *Decoder) AddDirectory(dir *Directory) {
	if dir == nil {
		return
	}
	d.setURL(dir.URL, urlFact{ep: epDirectory, basis: BasisDirectory, dialect: dir.Dialect})
	for key, u := range dir.Endpoints {
		ep := directoryEndpoint(key)
		if ep == epUnknown {
			continue
		}
		d.setURL(u, urlFact{ep: ep, basis: BasisDirectory, dialect: dir.Dialect})
		if ep == epRenewalInfo {
			d.addPrefix(strings.TrimSuffix(u, "/"), dir.Dialect)
		}
	}
	if tos := dir.Meta.TermsOfService; tos != "" {
		d.setURL(tos, urlFact{ep: epTerms, basis: BasisDirectory, dialect: dir.Dialect})
	}
	if dir.Dialect == DialectUnknown {
		return
	}
	u, err := url.Parse(dir.URL)
	if err != nil {
		return
	}
	o := origin(u)
	if prev, ok := d.origins[o]; ok && prev != dir.Dialect {
		d.origins[o] = DialectUnknown // both dialects behind one origin: URL facts decide
		return
	}
	d.origins[o] = dir.Dialect
}

func (d *Decoder) addPrefix(base string, dialect Dialect) {
	for _, p := range d.prefixes {
		if p.base == base {
			return
		}
	}
	d.prefixes = append(d.prefixes, urlPrefix{base: base, dialect: dialect})
}

// setURL records f for u. A directory fact replaces anything; a learned
// fact never replaces an earlier one, except to add a challenge's token.
func (d *Decoder) setURL(u string, f urlFact) {
	if u == "" {
		return
	}
	prev, ok := d.urls[u]
	if !ok {
		d.missed(idset.URL, u)
	}
	switch {
	case !ok || f.basis == BasisDirectory && prev.basis != BasisDirectory:
		d.urls[u] = f
	case prev.ep == f.ep && prev.token == "" && f.token != "":
		prev.token = f.token
		d.urls[u] = prev
	}
}

// learn takes from a decoded message what later exchanges need
// (acme-reference.md §10.1): the directory, URLs from Location, Link and
// resource bodies, and account keys.
func (d *Decoder) learn(m *Message) {
	r := m.Response
	if r == nil {
		return
	}
	if r.Directory != nil && r.OK() {
		d.AddDirectory(r.Directory)
	}
	l := learner{d: d, m: m}
	l.learnAccount()
	l.learnLinks()
	l.learnBodies()
}

type learner struct {
	d *Decoder
	m *Message
}

func (l learner) set(u string, ep endpoint) {
	l.d.setURL(u, urlFact{ep: ep, basis: BasisLearned, dialect: l.m.Dialect})
}

// learnAccount binds account URLs to keys (acme-reference.md §10.1): the
// Location of a newAccount or new-reg answer (201, 200, or v1's 409 for a
// known key) to the request's jwk; after a successful key change, the
// account URL to the new key, so that later "kid" requests verify; and an
// account body's "key" (Boulder returns it) to the account URL.
func (l learner) learnAccount() {
	m, r := l.m, l.m.Response
	switch m.Operation {
	case OpAccountCreate, OpAccountLookup:
		if r.Location != "" && (r.OK() || r.Status == 409) {
			l.set(r.Location, epAccount)
			l.bindKey(r.Location, m.Account)
		}
	case OpKeyChange:
		if r.OK() && m.AccountURL != "" && m.Payload != nil && m.Payload.KeyChange != nil {
			l.bindKey(m.AccountURL, m.Payload.KeyChange.NewKey)
		}
	}
	if r.AccountKey != nil && r.OK() && m.AccountURL != "" && m.Operation != OpRevoke {
		l.bindKey(m.AccountURL, r.AccountKey)
	}
	if r.Account != nil && r.Account.Orders != "" {
		l.set(resolveString(m.URL, r.Account.Orders), epOrdersList)
	}
}

// bindKey records k as the key of accountURL, both ways.
func (l learner) bindKey(accountURL string, k *Key) {
	if k == nil || accountURL == "" {
		return
	}
	l.d.keys[accountURL] = k
	l.d.accounts[k.Thumbprint] = accountURL
}

// learnLinks reads Location and Link targets whose kind follows from the
// operation (RFC 8555 §7.1; v1 acme-reference.md §4.2).
func (l learner) learnLinks() {
	m, r := l.m, l.m.Response
	if r.Location != "" && r.OK() {
		switch m.Operation {
		case OpOrderCreate, OpOrderFinalize:
			l.set(r.Location, epOrder)
		case OpAuthzCreate:
			l.set(r.Location, epAuthz)
		case OpChallengeTrigger, OpChallengePoll:
			l.set(r.Location, epChallenge)
		case OpCertIssue:
			l.set(r.Location, epCert)
		}
	}
	for _, link := range r.Links {
		switch link.Rel {
		case RelIndex:
			l.set(link.URL, epDirectory)
		case RelTermsOfService:
			l.set(link.URL, epTerms)
		case RelUp:
			l.learnUp(link.URL)
		case RelAlternate:
			if m.Operation == OpCertDownload || m.Operation == OpCertIssue {
				l.set(link.URL, epCert)
			}
		case RelNext:
			l.learnNext(link.URL)
		}
	}
}

// learnUp reads Link rel="up": a challenge's authorization (RFC 8555
// §7.5.1), a certificate's issuer (v1 /acme/issuer-cert, RFC 8555 §7.4.2).
func (l learner) learnUp(u string) {
	switch l.m.Operation {
	case OpChallengeTrigger, OpChallengePoll:
		l.set(u, epAuthz)
	case OpCertIssue, OpCertDownload:
		l.set(u, epIssuer)
	}
}

// learnNext: v1 servers point new-reg and reg at new-authz, and new-authz
// and authorizations at new-cert; v2 uses "next" only to page an orders
// list (RFC 8555 §7.1.2.1).
func (l learner) learnNext(u string) {
	switch {
	case l.m.Operation == OpOrdersList:
		l.set(u, epOrdersList)
	case l.m.Dialect != DialectV1:
	case l.m.Operation == OpAccountCreate || l.m.Operation == OpAccountUpdate || l.m.Operation == OpAccountFetch:
		l.set(u, epNewAuthz)
	case l.m.Operation == OpAuthzCreate || l.m.Operation == OpAuthzFetch:
		l.set(u, epNewCert)
	}
}

// learnBodies reads the URLs in order, authorization, challenge and orders
// list bodies.
func (l learner) learnBodies() {
	m, r := l.m, l.m.Response
	if o := r.Order; o != nil {
		for _, a := range o.Authorizations {
			l.set(resolveString(m.URL, a), epAuthz)
		}
		l.set(resolveString(m.URL, o.Finalize), epFinalize)
		if o.Certificate != "" {
			l.set(resolveString(m.URL, o.Certificate), epCert)
		}
	}
	if a := r.Authorization; a != nil {
		for _, c := range a.Challenges {
			l.learnChallenge(c.Location(), c.Token)
		}
	}
	if c := r.Challenge; c != nil {
		l.learnChallenge(c.Location(), c.Token)
	}
	if ol := r.OrdersList; ol != nil {
		for _, o := range ol.Orders {
			l.set(resolveString(m.URL, o), epOrder)
		}
	}
}

// learnChallenge records a challenge URL with its token, so that a v1
// challenge POST's keyAuthorization can be checked (RFC 8555 §8.1).
func (l learner) learnChallenge(u, token string) {
	if u == "" {
		return
	}
	l.d.setURL(resolveString(l.m.URL, u), urlFact{ep: epChallenge, basis: BasisLearned, dialect: l.m.Dialect, token: token})
}

// resolveString resolves ref against the base URL string.
func resolveString(base, ref string) string {
	if ref == "" {
		return ""
	}
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	return resolve(b, ref)
}
