package decode

import "github.com/acmeproxy/acmeproxy/internal/idset"

// Forget makes d forget what it learned about one account, so that a
// long stream is decoded in memory bounded by the accounts still active
// (flow.Ledger.Evict tells it what to forget; see flow.Feed). urls are
// the account URL and its objects' URLs (authorizations, challenges with
// their tokens, orders, finalize and certificate URLs); thumbprints are
// its keys'. The key bound to an account URL goes with it. Directory
// knowledge is never forgotten, nor shared URLs left out of urls.
//
// Forgetting changes how later traffic about the account would decode.
// d therefore keeps a 64-bit hash of each identity it forgot
// (idset.Hash with idset.URL or idset.Key) and notes each one a later
// exchange needs: a request to a forgotten URL, a "kid" or key it no
// longer binds, a response naming a forgotten URL again. Revived returns
// them, so that the caller can decode again keeping those accounts.
func (d *Decoder) Forget(urls, thumbprints []string) {
	for _, u := range urls {
		if u == "" {
			continue
		}
		if f, ok := d.urls[u]; ok && f.basis != BasisDirectory {
			delete(d.urls, u)
		}
		if k := d.keys[u]; k != nil {
			delete(d.keys, u)
			if d.accounts[k.Thumbprint] == u {
				delete(d.accounts, k.Thumbprint)
			}
		}
		d.forgotten.Add(idset.Hash(idset.URL, u))
	}
	for _, t := range thumbprints {
		if t == "" {
			continue
		}
		delete(d.accounts, t)
		d.forgotten.Add(idset.Hash(idset.Key, t))
	}
}

// Revived returns the hashes of the forgotten identities that exchanges
// decoded since the last call needed (see Forget), and clears the list.
// It returns nil when there are none.
func (d *Decoder) Revived() []uint64 {
	r := d.revived
	d.revived = nil
	return r
}

// missed notes that a lookup of s, of the given kind, found nothing: if
// d forgot s, the traffic has come back to it.
func (d *Decoder) missed(kind byte, s string) {
	if s == "" || d.forgotten.Len() == 0 {
		return
	}
	if h := idset.Hash(kind, s); d.forgotten.Has(h) {
		d.revived = append(d.revived, h)
	}
}
