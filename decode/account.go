package decode

import "github.com/acmeproxy/acmeproxy/internal/idset"

// resolveAccount finds the signing key (the embedded "jwk", or the key
// learned for the "kid"), verifies the signature with it and names the
// account (acme-reference.md §10.1).
func (s *state) resolveAccount() {
	j := s.m.JWS
	if j == nil || j.Verification == VerifyTruncated {
		return
	}
	if raw := j.jwk(); raw != nil {
		key, issues := s.d.parseJWK(raw)
		s.m.add(issues...)
		j.Key, j.KeySource = key, KeyFromJWK
	} else if kid := j.Protected.KID; kid != "" {
		j.Key, j.KeySource = s.d.keys[kid], KeyFromKid
		if j.Key == nil {
			s.d.missed(idset.URL, kid)
		}
	}
	if s.d.deferVerify {
		s.m.unverified, s.m.verifyAt = j, len(s.m.Issues)
	} else {
		s.m.add(j.verify()...)
	}
	s.m.Account = j.Key
	s.m.AccountURL = s.accountURL()
}

// accountURL names the signing account: the "kid" itself in v2; for a
// newAccount or new-reg, the Location of the answer (a v1 409 names the
// existing registration too, acme-reference.md §4.2); for a request to an
// account URL, that URL; else the URL learned earlier for the same key,
// which is how v1 requests, signed by "jwk" alone, are tied to their
// registration (§10.1).
func (s *state) accountURL() string {
	if kid := s.m.JWS.Protected.KID; kid != "" {
		return kid
	}
	r := s.m.Response
	if (s.m.Operation == OpAccountCreate || s.m.Operation == OpAccountLookup) && r != nil &&
		r.Location != "" && (r.OK() || r.Status == 409) {
		return r.Location
	}
	if s.ep == epAccount {
		return s.m.URL
	}
	if k := s.m.Account; k != nil {
		u, ok := s.d.accounts[k.Thumbprint]
		if !ok {
			s.d.missed(idset.Key, k.Thumbprint)
		}
		return u
	}
	return ""
}
