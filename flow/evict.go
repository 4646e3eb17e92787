package flow

import "github.com/acmeproxy/acmeproxy/internal/idset"

// Eviction bounds a ledger by its open state. A caller that streams a long
// recording closes (Close) and then evicts (Evict) the accounts that have
// been idle for a while, after judging them; the ledger then forgets them,
// their objects and what it kept to judge their next requests.
//
// Forgetting is exact only if the traffic never comes back to an evicted
// account: a later request signed by its key, or about one of its
// objects, would find nothing and start afresh where the whole ledger
// would have carried on. The ledger therefore keeps a 64-bit hash of every
// identity of an evicted account (key thumbprints, account, authorization,
// challenge, order, finalize and certificate URLs, challenge tokens) and
// notes each one the traffic comes back to (Revivals). A caller that finds
// revivals runs again with KeepAlive, which keeps the accounts owning
// those identities to the end: the second run evicts exactly what the
// first did, less those accounts, and is therefore exact.

// eviction is the ledger's eviction state.
type eviction struct {
	clock   uint64     // observations so far
	touched []*Account // accounts the current observation touched
	// newURLKey says that the current observation made a new urlLast
	// entry.
	newURLKey bool

	lru       lruList             // live accounts, least recently touched first
	tombs     idset.Set           // identities of evicted accounts
	revived   map[uint64]struct{} // tombs the traffic came back to
	keep      map[uint64]struct{} // identities whose accounts are never evicted
	evicted   int
	listDirty int // evicted accounts still in accountList

	// forget, when set (by Feed), is told the URLs and key thumbprints
	// of each evicted account, for the decoder to forget.
	forget func(urls, thumbprints []string)
}

// lruList is an intrusive doubly linked list of accounts.
type lruList struct{ head, tail *Account }

func (q *lruList) remove(a *Account) {
	if !a.listed {
		return
	}
	if a.prev != nil {
		a.prev.next = a.next
	} else {
		q.head = a.next
	}
	if a.next != nil {
		a.next.prev = a.prev
	} else {
		q.tail = a.prev
	}
	a.prev, a.next, a.listed = nil, nil, false
}

func (q *lruList) pushBack(a *Account) {
	a.prev, a.next, a.listed = q.tail, nil, true
	if q.tail != nil {
		q.tail.next = a
	} else {
		q.head = a
	}
	q.tail = a
}

// touch records that the current observation concerns a.
func (l *Ledger) touch(a *Account) {
	if a == nil || a.evicted {
		return
	}
	if a.lastTouch != l.clock {
		a.lastTouch = l.clock
		l.lru.remove(a)
		l.lru.pushBack(a)
		l.touched = append(l.touched, a)
	}
}

// missed notes a lookup of an identity that found nothing: when it was an
// evicted account's, the traffic has come back to it.
func (l *Ledger) missed(kind byte, s string) {
	if l.evicted == 0 || s == "" {
		return
	}
	h := idset.Hash(kind, s)
	if l.tombs.Has(h) {
		if l.revived == nil {
			l.revived = map[uint64]struct{}{}
		}
		l.revived[h] = struct{}{}
	}
}

// mapKey makes thumbprint one of a's keys.
func (l *Ledger) mapKey(thumbprint string, a *Account) {
	if _, ok := l.accounts[thumbprint]; !ok {
		l.missed(idset.Key, thumbprint)
	}
	l.accounts[thumbprint] = a
	a.thumbprints = append(a.thumbprints, thumbprint)
}

// ownSessionKey gives the accounts whose objects an unauthenticated
// request touched the urlLast entry it made (keyed by its recording), so
// that evicting them removes it.
func (l *Ledger) ownSessionKey(x *Exchange) {
	if x.Account != nil || !l.newURLKey {
		return
	}
	k := urlKey{who: x.Session, method: x.Method, url: x.URL}
	for _, a := range l.touched {
		a.urlKeys = append(a.urlKeys, k)
	}
}

// Idle returns the live accounts that no exchange has concerned in the
// last idle observations, least recently concerned first, except those
// that must stay: an account holding a certificate whose issuer has not
// been fetched (a later download of the shared issuer URL, by any client,
// would mark it fetched), one whose orders and authorizations are linked
// to another live account's, and accounts that KeepAlive names. It does
// not change the ledger: the caller closes and evicts what it returns.
func (l *Ledger) Idle(idle uint64) []*Account {
	var out []*Account
	for a := l.lru.head; a != nil && a.lastTouch+idle <= l.clock; {
		next := a.next
		if l.mustKeep(a) {
			l.lru.remove(a) // back in when something touches it
		} else {
			out = append(out, a)
		}
		a = next
	}
	return out
}

func (l *Ledger) mustKeep(a *Account) bool {
	for _, c := range a.Certificates {
		if c.IssuerURL != "" && !c.IssuerFetched {
			return true
		}
	}
	// An object shared with another live account (an order of one listing
	// an authorization of the other) can still change with that account's
	// traffic.
	for _, o := range a.Orders {
		for _, z := range o.Authzs {
			if z.Account != a && z.Account != nil && !z.Account.evicted {
				return true
			}
		}
	}
	for _, z := range a.Authzs {
		for _, o := range z.Orders {
			if o.Account != a && o.Account != nil && !o.Account.evicted {
				return true
			}
		}
	}
	if len(l.keep) == 0 {
		return false
	}
	for _, h := range l.identities(a) {
		if _, ok := l.keep[h]; ok {
			return true
		}
	}
	return false
}

// identities returns the hashes of everything by which later traffic
// could reach a or one of its objects.
func (l *Ledger) identities(a *Account) []uint64 {
	var out []uint64
	add := func(kind byte, s string) {
		if s != "" {
			out = append(out, idset.Hash(kind, s))
		}
	}
	for _, t := range a.thumbprints {
		add(idset.Key, t)
	}
	add(idset.URL, a.URL)
	add(idset.URL, a.ordersURL)
	for _, z := range a.Authzs {
		add(idset.URL, z.URL)
		for _, c := range z.Challenges {
			add(idset.URL, c.URL)
			add(idset.Token, c.Token)
		}
	}
	for _, o := range a.Orders {
		add(idset.URL, o.URL)
		add(idset.URL, o.FinalizeURL)
	}
	for _, c := range a.Certificates {
		add(idset.URL, c.URL)
	}
	return out
}

// forgettable returns what a decoder learned about a and may forget
// with it: the account and orders list URLs and its objects' URLs (not a
// certificate's issuer, which CAs share), and its key thumbprints.
func forgettable(a *Account) (urls, thumbprints []string) {
	for _, u := range []string{a.URL, a.ordersURL} {
		if u != "" {
			urls = append(urls, u)
		}
	}
	for _, z := range a.Authzs {
		urls = append(urls, z.URL)
		for _, c := range z.Challenges {
			urls = append(urls, c.URL)
		}
	}
	for _, o := range a.Orders {
		urls = append(urls, o.URL)
		if o.FinalizeURL != "" {
			urls = append(urls, o.FinalizeURL)
		}
	}
	for _, c := range a.Certificates {
		urls = append(urls, c.URL)
	}
	return urls, a.thumbprints
}

// revive notes the identities that a decoder, told to forget them,
// found the traffic coming back to (decode.Decoder.Revived).
func (l *Ledger) revive(hashes []uint64) {
	for _, h := range hashes {
		if l.tombs.Has(h) {
			if l.revived == nil {
				l.revived = map[uint64]struct{}{}
			}
			l.revived[h] = struct{}{}
		}
	}
}

// Evict forgets a, which the caller has closed (Close) and judged: its
// objects, its keys and URLs, and what the ledger kept to judge its next
// requests. Within Feed, the decoder forgets a's URLs and keys too
// (decode.Decoder.Forget), a few dozen exchanges later: it decodes ahead. Later traffic about it is noted (Revivals). Ledger-wide facts
// stay: the session counters, and the nonces it sent (a reused nonce is
// recognised whoever reuses it).
func (l *Ledger) Evict(a *Account) {
	if a.evicted {
		return
	}
	for _, h := range l.identities(a) {
		l.tombs.Add(h)
	}
	if l.forget != nil {
		l.forget(forgettable(a))
	}
	for _, t := range a.thumbprints {
		if l.accounts[t] == a {
			delete(l.accounts, t)
		}
	}
	if a.URL != "" && l.accountByURL[a.URL] == a {
		delete(l.accountByURL, a.URL)
	}
	for _, z := range a.Authzs {
		l.forgetAuthz(z)
	}
	for _, o := range a.Orders {
		if l.orders[o.URL] == o {
			delete(l.orders, o.URL)
		}
		if o.FinalizeURL != "" && l.finalizeURLs[o.FinalizeURL] == o {
			delete(l.finalizeURLs, o.FinalizeURL)
		}
	}
	for _, c := range a.Certificates {
		if l.certs[c.URL] == c {
			delete(l.certs, c.URL)
		}
		l.unfileIssuer(c)
	}
	for _, k := range a.urlKeys {
		delete(l.urlLast, k)
	}
	a.urlKeys = nil
	delete(l.last, a)
	l.lru.remove(a)
	a.evicted = true
	l.evicted++
	l.listDirty++
	if l.listDirty > len(l.accountList)/2 {
		l.compact()
	}
}

func (l *Ledger) forgetAuthz(z *Authz) {
	if l.authzs[z.URL] == z {
		delete(l.authzs, z.URL)
	}
	for _, c := range z.Challenges {
		if l.challenges[c.URL] == c {
			delete(l.challenges, c.URL)
		}
		if c.Token != "" && l.tokens[c.Token] == c {
			delete(l.tokens, c.Token)
		}
	}
}

// compact drops evicted accounts from the account list.
func (l *Ledger) compact() {
	if l.listDirty == 0 {
		return
	}
	kept := l.accountList[:0]
	for _, a := range l.accountList {
		if !a.evicted {
			kept = append(kept, a)
		}
	}
	clear(l.accountList[len(kept):])
	l.accountList = kept
	l.listDirty = 0
}

// Evicted returns the number of accounts evicted so far.
func (l *Ledger) Evicted() int { return l.evicted }

// Revivals are the identities of evicted accounts that later traffic came
// back to. The zero value is none.
type Revivals struct{ ids map[uint64]struct{} }

// Len returns the number of identities.
func (r Revivals) Len() int { return len(r.ids) }

// Revivals returns what the traffic came back to after eviction.
func (l *Ledger) Revivals() Revivals { return Revivals{ids: l.revived} }

// KeepAlive makes Idle never return an account that owns one of r's
// identities. Give it, before the first Observe, the Revivals of an
// earlier run over the same recordings.
func (l *Ledger) KeepAlive(r Revivals) {
	if len(r.ids) == 0 {
		return
	}
	if l.keep == nil {
		l.keep = map[uint64]struct{}{}
	}
	for h := range r.ids {
		l.keep[h] = struct{}{}
	}
}

// fileIssuer sets c's issuer URL to u and files c under it, for
// onIssuerDownload.
func (l *Ledger) fileIssuer(c *Certificate, u string) {
	l.unfileIssuer(c)
	c.IssuerURL = u
	if u != "" {
		l.byIssuer[u] = append(l.byIssuer[u], c)
	}
}

// unfileIssuer removes c from the index of certificates by issuer URL.
func (l *Ledger) unfileIssuer(c *Certificate) {
	list := l.byIssuer[c.IssuerURL]
	for i, d := range list {
		if d == c {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(l.byIssuer, c.IssuerURL)
	} else {
		l.byIssuer[c.IssuerURL] = list
	}
}
