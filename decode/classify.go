package decode

import (
	"encoding/json"
	"strings"

	"github.com/acmeproxy/acmeproxy/acme"
	"github.com/acmeproxy/acmeproxy/internal/idset"
)

// classify decides which endpoint the request went to: a URL a directory
// or an earlier response named, a renewalInfo URL below the directory's
// base, a self-check path, a directory recognised by its body, a path
// shape, or finally the response body's shape (acme-reference.md §10.3).
func (s *state) classify() {
	u := s.m.URL
	if f, ok := s.d.urls[u]; ok {
		s.setEndpoint(f.ep, f.basis)
		s.fact = f
		return
	}
	s.d.missed(idset.URL, u)
	for _, p := range s.d.prefixes {
		if rest, ok := strings.CutPrefix(u, p.base+"/"); ok && rest != "" {
			s.fact = urlFact{ep: epRenewalInfo, basis: BasisDirectory, dialect: p.dialect}
			s.setEndpoint(epRenewalInfo, BasisDirectory)
			s.m.CertID = rest
			return
		}
	}
	if tok, ok := selfCheckToken(s.u); ok && (s.m.Method == "GET" || s.m.Method == "HEAD") {
		s.m.SelfCheck = &SelfCheck{Host: s.u.Host, Token: tok}
		s.setEndpoint(epSelfCheck, BasisPath)
		return
	}
	if s.sniffDirectory() {
		s.setEndpoint(epDirectory, BasisResponse)
		return
	}
	if ep, _ := classifyPath(s.u); ep != epUnknown {
		s.setEndpoint(ep, BasisPath)
		if ep == epRenewalInfo {
			s.m.CertID = s.u.Path[strings.LastIndexByte(s.u.Path, '/')+1:]
		}
		return
	}
	if ep := s.sniffResource(); ep != epUnknown {
		s.setEndpoint(ep, BasisResponse)
		return
	}
	s.setEndpoint(epUnknown, BasisNone)
}

func (s *state) setEndpoint(ep endpoint, b Basis) {
	s.ep = ep
	s.m.OperationBasis = b
}

// sniffDirectory parses a successful JSON response as a directory.
func (s *state) sniffDirectory() bool {
	r := s.e.Response
	if r == nil || r.Status != 200 || s.m.JWS != nil && len(s.m.JWS.Payload) > 0 {
		return false
	}
	members := s.responseMembers()
	if members == nil {
		return false
	}
	s.dir = directoryFromMembers(s.m.URL, members)
	return s.dir != nil
}

// sniffResource guesses the endpoint of an unknown URL from the members of
// its JSON response (RFC 8555 §7.1: each resource type has members no
// other has).
func (s *state) sniffResource() endpoint {
	m := s.responseMembers()
	if m == nil {
		return epUnknown
	}
	has := func(k string) bool { _, ok := m[k]; return ok }
	switch {
	case has("challenges") && has("identifier"):
		return epAuthz
	case has("finalize") || has("identifiers") && has("authorizations"):
		return epOrder
	case has("token") && has("type") && (has("url") || has("uri")):
		return epChallenge
	case has("suggestedWindow"):
		return epRenewalInfo
	case has("orders") && len(m["orders"]) > 0 && m["orders"][0] == '[':
		return epOrdersList
	case has("key") && (has("contact") || has("agreement") || has("status")):
		return epAccount
	}
	return epUnknown
}

// decideDialect applies acme-reference.md §1: the server's directory first,
// then the request (kid ⇒ v2, resource ⇒ v1, url ⇒ v2), then the response
// body, then the path.
func (s *state) decideDialect() {
	if s.ep == epDirectory && s.dir == nil {
		s.sniffDirectory()
	}
	set := func(d Dialect, b Basis) { s.m.Dialect, s.m.DialectBasis = d, b }
	switch {
	case s.ep == epSelfCheck:
		set(DialectUnknown, BasisNone)
	case s.dir != nil && s.dir.Dialect != DialectUnknown:
		set(s.dir.Dialect, BasisDirectory)
	case s.fact.dialect == DialectV1 || s.fact.dialect == DialectV2:
		set(s.fact.dialect, s.fact.basis)
	case s.originDialect() != DialectUnknown:
		set(s.originDialect(), BasisDirectory)
	default:
		if d := s.requestDialect(); d != DialectUnknown {
			set(d, BasisRequest)
		} else if d := s.responseDialect(); d != DialectUnknown {
			set(d, BasisResponse)
		} else if _, d := classifyPath(s.u); d != DialectUnknown {
			set(d, BasisPath)
		} else {
			set(DialectUnknown, BasisNone)
		}
	}
}

// originDialect is the dialect of the directory served from the request's
// scheme://host[:port], when only one dialect was seen there.
func (s *state) originDialect() Dialect {
	if d, ok := s.d.origins[origin(s.u)]; ok {
		return d
	}
	return DialectUnknown
}

// requestDialect reads the request alone (acme-reference.md §1 step 2):
// "kid" exists only in v2; "resource" marks v1 semantics (a v2 client with
// v1 leftovers sends both and is caught by "kid" first); "url" is a strong
// hint of v2, though x/crypto also sent it to v1 servers.
func (s *state) requestDialect() Dialect {
	j := s.m.JWS
	switch {
	case j == nil:
		return DialectUnknown
	case j.Protected.KID != "":
		return DialectV2
	case s.payload["resource"] != nil:
		return DialectV1
	case j.Protected.URL != "":
		return DialectV2
	}
	return DialectUnknown
}

// responseDialect reads the error namespace of a problem, or the spelling
// of a challenge's URL member ("uri" in v1, "url" in v2).
func (s *state) responseDialect() Dialect {
	m := s.responseMembers()
	if m == nil {
		return DialectUnknown
	}
	var t acme.ProblemType
	if json.Unmarshal(m["type"], &t) == nil {
		switch t.Namespace() {
		case acme.NamespaceV1:
			return DialectV1
		case acme.NamespaceV2:
			return DialectV2
		}
	}
	chall := m
	if raw, ok := m["challenges"]; ok {
		var list []map[string]json.RawMessage
		if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
			return DialectUnknown
		}
		chall = list[0]
	}
	if _, ok := chall["token"]; !ok {
		return DialectUnknown
	}
	if _, ok := chall["uri"]; ok {
		return DialectV1
	}
	if _, ok := chall["url"]; ok {
		return DialectV2
	}
	return DialectUnknown
}
